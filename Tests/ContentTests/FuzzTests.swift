import Testing
@testable import Content
import RandomTestSupport

/// Feeds mutated fixtures and random markup to the whole pipeline (parse, render, chunk) and
/// checks that it terminates without crashing and that its invariants hold. Deterministic: each
/// shard has its own fixed seed.
@Suite("Fuzzing")
struct FuzzTests {
    static let shards = 4
    static let casesPerShard = 25_000

    @Test(arguments: 0..<shards)
    func mutatedAndRandomInputsKeepInvariants(shard: Int) {
        var random = SeededGenerator(seed: 0x7269_6275_7461_7279 &+ UInt64(shard))
        let corpus = Fixtures.all.map { Array($0.storage.utf8) }
        let chunker = Chunker(options: ChunkingOptions(targetWords: 24, overlapWords: 6))
        var checked = 0
        for index in 0..<Self.casesPerShard {
            let input = index % 5 == 4
                ? Self.randomMarkup(&random)
                : Self.mutate(corpus[random.below(corpus.count)], corpus: corpus, random: &random)
            let document = StorageFormat.convert(utf8: input, title: "T")
            let rendering = MarkdownRenderer.render(document)
            let chunks = chunker.chunks(of: document, pageID: "f")
            checked += 1
            if let failure = Self.violation(input: input, document: document, rendering: rendering, chunks: chunks) {
                Issue.record("case \(index) of shard \(shard): \(failure)\ninput: \(String(decoding: input, as: UTF8.self))")
                return
            }
            if index % 50 == 0 {
                #expect(StorageFormat.convert(utf8: input, title: "T") == document, "conversion is not deterministic")
            }
        }
        #expect(checked == Self.casesPerShard)
    }

    /// The first broken invariant, or nil.
    static func violation(input: [UInt8], document: Document, rendering: String, chunks: [Chunk]) -> String? {
        let lowered = String(decoding: input, as: UTF8.self).lowercased()
        // Markup can reach the text only through CDATA or escaped `<`; otherwise none may leak.
        // A stray `<` is text by design, so text next to it may read like markup.
        let mayCarryMarkup = lowered.contains("cdata") || lowered.contains("&lt") || lowered.contains("&#")
            || document.warnings.contains { $0.message == "stray '<' kept as text" || $0.message.hasSuffix("not shown") }
        if !mayCarryMarkup, rendering.contains("<ac:") || rendering.contains("<ri:") || rendering.contains("</ac:") {
            return "raw storage markup in output:\n\(rendering)"
        }
        if document.warnings.count > ConversionOptions().maxWarnings { return "too many warnings" }
        guard document.sections.first?.level == 0 else { return "lead section missing" }
        if document.sections.dropFirst().contains(where: { !(1...6).contains($0.level) || $0.heading.isEmpty }) {
            return "bad heading level or empty heading"
        }
        let anchors = document.sections.dropFirst().map(\.anchor)
        if Set(anchors).count != anchors.count { return "duplicate anchors \(anchors)" }
        if document.links.contains(where: { !document.sections.indices.contains($0.sectionIndex) }) {
            return "link outside any section"
        }
        if chunks.map(\.ordinal) != Array(chunks.indices) { return "chunk ordinals out of sequence" }
        let normalizedRendering = normalize(rendering)
        for chunk in chunks {
            if chunk.text.isEmpty { return "empty chunk" }
            for line in chunk.text.split(separator: "\n") where !normalizedRendering.contains(normalize(String(line))) {
                return "chunk line not from the document: \(line)\nrendering:\n\(rendering)"
            }
            if let section = chunk.sectionIndex, document.sections[section].anchor != chunk.anchor {
                return "chunk anchor differs from its section's"
            }
        }
        return nil
    }

    static func normalize(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    // MARK: Generators

    static let snippets: [String] = [
        "<p>", "</p>", "<h2>", "</h2>", "<h1>T</h1>", "<ul>", "<li>", "</li>", "</ul>", "<table>", "<tr>", "<td>",
        "<th>", "</td>", "</table>", "<br/>", "<![CDATA[", "]]>", "<!--", "-->", "&nbsp;", "&amp;", "&#x41;",
        "&bogus", "<", ">", "/", "\"", "'", "=", " ", "text ", "<ac:structured-macro ac:name=\"code\">",
        "<ac:structured-macro ac:name=\"info\">", "<ac:structured-macro ac:name=\"jira\">",
        "<ac:parameter ac:name=\"title\">", "</ac:parameter>", "<ac:rich-text-body>", "</ac:rich-text-body>",
        "<ac:plain-text-body>", "</ac:plain-text-body>", "</ac:structured-macro>", "<ac:link>",
        "<ri:page ri:content-title=\"P\" />", "</ac:link>", "<ac:task-list><ac:task>", "<ac:task-status>",
        "complete", "</ac:task>", "<ac:layout-cell>", "<ac:image>", "<ri:attachment ri:filename=\"f\"/>",
        "</ac:image>", "<ac:emoticon ac:name=\"tick\"/>", "<time datetime=\"2024\"/>", "<ac:adf-extension>",
        "<ac:adf-node type=\"panel\">", "<ac:adf-content>", "<ac:adf-fallback>", "<pre>", "</pre>", "\n",
    ]

    static let insertions: [String] = [
        "<p>", "</p>", "<ac:structured-macro ac:name=\"expand\">", "</ac:structured-macro>", "<h3>", "</h3>",
        "<td>", "</tr>", "<ac:rich-text-body>", "<![CDATA[", "]]>", "<", "&", "\"", "<ac:link>", "</ac:link>",
        "<ol start=\"x\">", "<li>", "<table>", "<th colspan=\"99999\" rowspan=\"-3\">", "<code>",
    ]

    static func randomMarkup(_ random: inout SeededGenerator) -> [UInt8] {
        var output: [UInt8] = []
        for _ in 0..<random.below(60) {
            output += snippets[random.below(snippets.count)].utf8
        }
        return output
    }

    static func mutate(_ seed: [UInt8], corpus: [[UInt8]], random: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0...random.below(4) {
            guard !bytes.isEmpty else { break }
            let position = random.below(bytes.count)
            switch random.below(6) {
            case 0:  // byte flip, favouring bytes that matter to the scanner
                let interesting: [UInt8] = Array("<>/\"'&;[]!-= \n".utf8) + [0x00, 0xC3, 0xFF]
                bytes[position] = random.below(3) == 0 ? UInt8(truncatingIfNeeded: random.next()) : interesting[random.below(interesting.count)]
            case 1:  // truncation
                bytes.removeSubrange(position...)
            case 2:  // splice with another fixture
                let other = corpus[random.below(corpus.count)]
                bytes = Array(bytes[..<position]) + other[random.below(max(other.count, 1))...]
            case 3:  // tag insertion
                bytes.insert(contentsOf: insertions[random.below(insertions.count)].utf8, at: position)
            case 4:  // deletion of a short range
                bytes.removeSubrange(position..<min(bytes.count, position + 1 + random.below(12)))
            default:  // duplication of a short range
                let end = min(bytes.count, position + 1 + random.below(40))
                bytes.insert(contentsOf: bytes[position..<end], at: end)
            }
        }
        return bytes
    }
}

