import Testing
@testable import Content

@Suite("Chunker")
struct ChunkerTests {
    /// `count` numbered words grouped into sentences of ten.
    static func prose(_ count: Int, prefix: String = "w") -> String {
        (1...count).map { $0 % 10 == 0 ? "\(prefix)\($0)." : "\(prefix)\($0)" }.joined(separator: " ")
    }

    @Test func smallSectionsGiveOneChunkEachWithPathAndAnchor() {
        let document = convert(Fixtures.headings)
        let chunks = Chunker().chunks(of: document, pageID: "42")
        #expect(chunks.map(\.text) == [
            "Lead text", "# Install\n\nOverview", "## Debian\n\napt", "## Fedora\n\ndnf", "# Use",
            "### Deep heading\n\ndeep", "## Debian\n\nagain",
        ])
        #expect(chunks.map(\.anchor) == ["", "Install", "Debian", "Fedora", "Use", "Deep-heading", "Debian.1"])
        #expect(chunks[2].headingPath == ["Install", "Debian"])
        #expect(chunks.map(\.ordinal) == Array(0..<7))
        #expect(chunks.allSatisfy { $0.pageID == "42" })
        #expect(chunks.map(\.sectionIndex) == (0..<7).map { Optional($0) })
    }

    @Test func longProseSplitsWithinTargetAndOverlaps() {
        let storage = "<h1>Long</h1><p>\(Self.prose(1_000))</p>"
        let options = ChunkingOptions(targetWords: 100, overlapWords: 20)
        let chunks = Chunker(options: options).chunks(of: convert(storage), pageID: "p")
        #expect(chunks.count >= 10)
        #expect(chunks.allSatisfy { $0.wordCount <= 100 })
        #expect(chunks.allSatisfy { $0.headingPath == ["Long"] && $0.anchor == "Long" })
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let previousWords = previous.text.split(separator: " ")
            let nextWords = next.text.split(separator: " ")
            // The next chunk starts with a tail of the previous one, at most 20 words long.
            let shared = (1...min(20, previousWords.count)).last { count in
                Array(previousWords.suffix(count)) == Array(nextWords.prefix(count))
            }
            #expect(shared != nil && shared! > 0, "chunks \(previous.ordinal) and \(next.ordinal) do not overlap")
        }
        // Every word appears, in order, and the last chunk ends the paragraph.
        let covered = Set(chunks.flatMap { $0.text.split(whereSeparator: \.isWhitespace).map(String.init) })
        #expect((1...1_000).allSatisfy { covered.contains("w\($0)") || covered.contains("w\($0).") })
        #expect(chunks.last?.text.hasSuffix("w1000.") == true)
    }

    @Test func zeroOverlapPartitionsTheWords() {
        let storage = "<p>\(Self.prose(300))</p>"
        let chunks = Chunker(options: ChunkingOptions(targetWords: 50, overlapWords: 0)).chunks(of: convert(storage), pageID: "p")
        let words = chunks.flatMap { $0.text.split(separator: " ").map(String.init) }
        #expect(words == Self.prose(300).split(separator: " ").map(String.init))
    }

    @Test func codeBlockThatFitsMovesWholeToTheNextChunk() {
        let code = (1...20).map { "step\($0) --flag value" }.joined(separator: "\n")
        let storage = "<h1>Run</h1><p>\(Self.prose(80))</p>"
            + #"<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>"#
            + "<ac:plain-text-body><![CDATA[\(code)]]></ac:plain-text-body></ac:structured-macro>"
        let chunks = Chunker(options: ChunkingOptions(targetWords: 100, overlapWords: 0)).chunks(of: convert(storage), pageID: "p")
        #expect(chunks.count == 2)
        #expect(!chunks[0].text.contains("```"))
        #expect(chunks[1].text == "```bash\n\(code)\n```")
    }

    @Test func codeBlockLargerThanTargetIsCutBetweenLinesWithFencesReopened() {
        let code = (1...60).map { "line\($0) alpha beta gamma" }.joined(separator: "\n")
        let storage = #"<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">python</ac:parameter>"#
            + "<ac:plain-text-body><![CDATA[\(code)]]></ac:plain-text-body></ac:structured-macro>"
        let chunks = Chunker(options: ChunkingOptions(targetWords: 50, overlapWords: 8)).chunks(of: convert(storage), pageID: "p")
        #expect(chunks.count > 4)
        let codeLines = Set(code.split(separator: "\n").map(String.init))
        for chunk in chunks {
            let lines = chunk.text.split(separator: "\n").map(String.init)
            #expect(lines.first == "```python")
            #expect(lines.last == "```")
            // Every line between the fences is a whole line of the original code.
            #expect(lines.dropFirst().dropLast().allSatisfy { codeLines.contains($0) })
        }
        let seen = Set(chunks.flatMap { $0.text.split(separator: "\n").map(String.init) })
        #expect(codeLines.isSubset(of: seen))
    }

    @Test func tableCutAcrossChunksRepeatsItsHeader() {
        let rows = (1...40).map { "<tr><td>host\($0)</td><td>role \($0) of the cluster</td></tr>" }.joined()
        let storage = "<table><tr><th>Host</th><th>Role</th></tr>\(rows)</table>"
        let chunks = Chunker(options: ChunkingOptions(targetWords: 60, overlapWords: 0)).chunks(of: convert(storage), pageID: "p")
        #expect(chunks.count > 2)
        for chunk in chunks {
            #expect(chunk.text.hasPrefix("| Host | Role |\n| --- | --- |\n| host"))
        }
    }

    @Test func tableThatFitsMovesWholeToTheNextChunk() {
        let storage = "<p>\(Self.prose(40))</p><table><tr><th>Key</th><th>Value</th></tr>"
            + "<tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table>"
        let chunks = Chunker(options: ChunkingOptions(targetWords: 48, overlapWords: 0)).chunks(of: convert(storage), pageID: "p")
        #expect(chunks.map(\.text) == [Self.prose(40), "| Key | Value |\n| --- | --- |\n| a | 1 |\n| b | 2 |"])
    }

    @Test func titleOnlyPageYieldsOneTitleChunkAndUntitledEmptyPageNone() {
        let titled = Chunker().chunks(of: convert(Fixtures.navigationMacros.replacingOccurrences(of: "Only text", with: ""), title: "Runbook"), pageID: "7")
        #expect(titled == [Chunk(pageID: "7", ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "", text: "Runbook", wordCount: 1)])
        #expect(Chunker().chunks(of: convert("<p> </p>", title: ""), pageID: "7").isEmpty)
    }

    @Test func chunkingIsDeterministic() {
        let storage = Fixtures.all.map(\.storage).joined() + "<h2>Tail</h2><p>\(Self.prose(900))</p>"
        let chunker = Chunker(options: ChunkingOptions(targetWords: 64, overlapWords: 16))
        let first = chunker.chunks(of: convert(storage), pageID: "d")
        let second = chunker.chunks(of: convert(storage), pageID: "d")
        #expect(first == second)
        #expect(first.count > 10)
    }

    @Test func optionsAreClamped() {
        let options = ChunkingOptions(targetWords: 3, overlapWords: 100)
        #expect(options.targetWords == 16)
        #expect(options.overlapWords == 8)
        #expect(ChunkingOptions().targetWords == 400)
        #expect(ChunkingOptions().overlapWords == 50)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
