import Testing
@testable import Content

/// The conversion's byte-level fast paths against the Character-level code they replace
/// (kept here as the reference): same output on random text that stresses Character
/// boundaries, ASCII or not.
@Suite("Conversion: byte-level text handling matches Character semantics")
struct ByteLevelTextTests {
    /// Pieces that stress Character boundaries around LF and spaces: CR LF (one Character),
    /// combining marks (a space followed by one is not a space Character), emoji sequences,
    /// Unicode whitespace, empty lines at either end.
    static let pieces = [
        "\n", "\r\n", "\r", "a", "é", "e\u{301}", "👩‍👩‍👧", "\u{301}", " ", "  ", "\t", "x y", "東京", "\n\n", "|", ">",
        "\u{A0}", "\u{2003}", "\u{3000}", "`", "#", "##", "word.", "end!", "why?", "\u{0B}", "\u{0C}", "K", "\u{212A}",
    ]

    /// Random strings of `pieces`, the edge cases first.
    static func samples(count: Int = 3_000, maxPieces: Int = 14) -> [String] {
        var generator = SystemRandomNumberGenerator()
        var samples = ["", "\n", "\r\n", " ", "a\r\nb\nc", "\n\na\n\n", "e\n\u{301}x", "no newline", " \u{301}x y"]
        for _ in 0..<count {
            let length = Int.random(in: 0..<maxPieces, using: &generator)
            samples.append((0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        return samples
    }

    static func scalars(_ text: String) -> String { text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ") }

    @Test("lines(omittingEmpty:) splits exactly like split(separator: \"\\n\") on Characters")
    func linesMatchCharacterSplit() {
        for text in Self.samples() {
            for omitting in [true, false] {
                let expected = text.split(separator: "\n", omittingEmptySubsequences: omitting).map(String.init)
                #expect(text.lines(omittingEmpty: omitting) == expected, "\(Self.scalars(text)) omitting: \(omitting)")
            }
        }
    }

    @Test("trimmedCode drops the same blank lines as the Character-level trim")
    func trimmedCodeMatches() {
        func reference(_ text: String) -> String {
            var lines = text.replacingCRLF.split(separator: "\n", omittingEmptySubsequences: false)
            while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
            while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
            return lines.joined(separator: "\n")
        }
        for text in Self.samples() {
            #expect(DocumentAssembler.trimmedCode(text) == reference(text), "\(Self.scalars(text))")
        }
    }

    @Test("trimmingSpaces trims what Character.isWhitespace calls whitespace")
    func trimmingSpacesMatches() {
        func reference(_ text: String) -> String {
            guard let first = text.firstIndex(where: { !$0.isWhitespace }),
                  let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
            return String(text[first...last])
        }
        for text in Self.samples() {
            #expect(text.trimmingSpaces == reference(text), "\(Self.scalars(text))")
        }
    }

    @Test("Heading anchors: ASCII by byte, the rest by Character, the same result")
    func anchorsMatch() {
        for text in Self.samples() {
            let expected = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: "-")
            #expect(HeadingAnchor.anchor(for: text) == expected, "\(Self.scalars(text))")
        }
    }

    @Test("Long lines are cut into the same parts as by Character-level words")
    func longLineSplitMatches() {
        func reference(_ line: String, maxWords: Int, preferSentences: Bool) -> [String] {
            var parts: [String] = []
            var current: [Substring] = []
            for word in line.split(separator: " ", omittingEmptySubsequences: true) {
                current.append(word)
                let endsSentence = preferSentences && (word.last == "." || word.last == "!" || word.last == "?")
                if current.count >= maxWords || (endsSentence && current.count >= maxWords / 2) {
                    parts.append(current.joined(separator: " "))
                    current.removeAll(keepingCapacity: true)
                }
            }
            if !current.isEmpty { parts.append(current.joined(separator: " ")) }
            return parts
        }
        for text in Self.samples(maxPieces: 40) {
            for maxWords in [1, 2, 3, 8] {
                for preferSentences in [true, false] {
                    #expect(ChunkPiece.split(text, maxWords: maxWords, preferSentences: preferSentences)
                                == reference(text, maxWords: maxWords, preferSentences: preferSentences),
                            "\(Self.scalars(text)) max \(maxWords) sentences \(preferSentences)")
                }
            }
        }
    }

    @Test("A chunk's word count, summed from its pieces, is the count of its text")
    func chunkWordCountsAreExact() {
        var generator = SystemRandomNumberGenerator()
        let words = ["alpha", "beta.", "gamma!", "`code`", ">", "  ", "|", "x\ty", "é", "e\u{301}", "東京", "-", "1."]
        let chunker = Chunker(options: ChunkingOptions(targetWords: 24, overlapWords: 6))
        for _ in 0..<300 {
            func text(_ count: Int) -> String {
                (0..<count).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
            }
            var storage = ""
            for section in 0..<Int.random(in: 1...4, using: &generator) {
                storage += "<h2>Part \(section)</h2><p>\(text(Int.random(in: 0...60, using: &generator)))</p>"
                storage += "<ac:structured-macro ac:name=\"code\"><ac:parameter ac:name=\"language\">sh</ac:parameter>"
                storage += "<ac:plain-text-body><![CDATA[\((0..<Int.random(in: 0...30, using: &generator)).map { _ in text(3) }.joined(separator: "\n"))]]>"
                storage += "</ac:plain-text-body></ac:structured-macro>"
                storage += "<table><tr><th>\(text(2))</th><th>b</th></tr>"
                storage += (0..<Int.random(in: 0...12, using: &generator)).map { _ in "<tr><td>\(text(3))</td><td>\(text(2))</td></tr>" }.joined()
                storage += "</table><ac:structured-macro ac:name=\"note\"><ac:rich-text-body><p>\(text(20))</p></ac:rich-text-body></ac:structured-macro>"
                storage += "<ul><li>\(text(12))</li><li>\(text(30))</li></ul>"
            }
            for chunk in chunker.chunks(of: StorageFormat.convert(storage, title: "T"), pageID: "p") {
                #expect(chunk.wordCount == ChunkPiece.wordCount(chunk.text), "\(chunk.text)")
            }
        }
    }

    @Test("Element names resolve to the same tag and voidness as the name tables, in any case")
    func tagLookupMatchesTables() {
        var generator = SystemRandomNumberGenerator()
        let names = Array(Content.Tag.byName.keys) + Array(Content.Tag.otherVoidNames) + ["span", "ac:unknown", "x", "ri:nothing", "h7", "lis"]
        for name in names {
            let expected: (Content.Tag, Bool) = Content.Tag.byName[name].map { ($0, $0.isVoid) } ?? (.other, Content.Tag.otherVoidNames.contains(name))
            let cased = String(name.map { Bool.random(using: &generator) ? Character($0.uppercased()) : $0 })
            for variant in [name, name.uppercased(), cased] {
                let found = Array(variant.utf8).withUnsafeBufferPointer { TagLookup.shared.info($0) }
                #expect(found.tag == expected.0 && found.isVoid == expected.1, "\(variant)")
            }
        }
    }

    @Test("Macro names classify as before the table")
    func macroKinds() {
        #expect(MacroKind.of("code") == .code)
        #expect(MacroKind.of("sourcecode") == .code)
        #expect(MacroKind.of("preformatted") == .noFormat)
        #expect(MacroKind.of("information") == .callout(.info))
        #expect(MacroKind.of("panel") == .callout(.panel))
        #expect(MacroKind.of("ui-expand") == .expand)
        #expect(MacroKind.of("viewpdf") == .attachmentView)
        #expect(MacroKind.of("page-info") == .navigation)
        #expect(MacroKind.of("center") == .transparent)
        #expect(MacroKind.of("jira") == .flagged)
        #expect(MacroKind.of("Code") == .flagged)  // callers lower-case first
        #expect(MacroKind.of("") == .flagged)
    }
}
