import Testing
@testable import Search

/// ``ChunkAnalysis``'s byte-level scans against the Character/index-walking code they replace
/// (kept here as the reference), on random chunk-like text, ASCII or not.
@Suite("Chunk analysis: byte-level scans match the reference")
struct ChunkAnalysisBytesTests {
    static let pieces = [
        "\n", "\r\n", "`", "``", "|", " ", "#", "## ", "work_mem", "sign", "é", "e\u{301}", "東京", "(", ")", "K", "\u{212A}",
        "Memory", "\u{A0}", "x.y", "\t",
    ]

    static func samples() -> [String] {
        var generator = SystemRandomNumberGenerator()
        var samples = ["", "#", "## Memory", "## Memory\nbody", "##Memory\nx", "# \u{212A}\nx", "`a`", "| `b` |\n`c`"]
        for _ in 0..<4_000 {
            let length = Int.random(in: 0..<16, using: &generator)
            samples.append((0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        return samples
    }

    @Test("The heading line is cut from a chunk's body exactly as by Characters")
    func bodyMatches() {
        func reference(_ text: String, _ headingPath: [String]) -> Substring {
            guard let heading = headingPath.last, text.utf8.first == UInt8(ascii: "#") else { return text[...] }
            let firstLine = text.prefix { $0 != "\n" }
            guard firstLine.drop(while: { $0 == "#" }).dropFirst() == heading[...] else { return text[...] }
            return text[firstLine.endIndex...]
        }
        for text in Self.samples() {
            for heading in ["Memory", "work_mem", "", "K", "\u{212A}", "e\u{301}", "é"] {
                let path = ["Top", heading]
                let body = ChunkAnalysis.body(of: text, headingPath: path)
                #expect(body == reference(text, path) && body.startIndex == reference(text, path).startIndex,
                        "\(text.unicodeScalars.map { String($0.value, radix: 16) }) heading \(heading)")
            }
            #expect(ChunkAnalysis.body(of: text, headingPath: []) == text[...])
        }
    }

    @Test("Definition names are found exactly as by walking the UTF-8 view")
    func definitionsMatch() {
        func reference(_ body: Substring) -> [Substring] {
            var names: [Substring] = []
            let backtick = UInt8(ascii: "`")
            var lineStart = true
            var index = body.utf8.startIndex
            let end = body.utf8.endIndex
            while index < end {
                let byte = body.utf8[index]
                if byte == UInt8(ascii: "\n") {
                    lineStart = true
                    index = body.utf8.index(after: index)
                    continue
                }
                guard lineStart else {
                    index = body.utf8.index(after: index)
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "|") {
                    index = body.utf8.index(after: index)
                    continue
                }
                lineStart = false
                guard byte == backtick else { continue }
                let open = body.utf8.index(after: index)
                guard open < end, body.utf8[open] != backtick,
                      let close = body.utf8[open...].firstIndex(where: { $0 == backtick || $0 == UInt8(ascii: "\n") }),
                      body.utf8[close] == backtick else { continue }
                names.append(body[open..<close])
                index = close
            }
            return names
        }
        for text in Self.samples() {
            // A substring that does not start at the string's start, as chunk bodies do.
            let body = text.isEmpty ? text[...] : text[text.index(after: text.startIndex)...]
            for slice in [text[...], body] {
                var names: [Substring] = []
                ChunkAnalysis.forEachDefinition(in: slice) { names.append($0) }
                let expected = reference(slice)
                #expect(names == expected && names.map(\.startIndex) == expected.map(\.startIndex),
                        "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }
}
