import Testing
@testable import Answering

@Suite("Citation resolver")
struct CitationResolverTests {
    let resolver = CitationResolver(passageCount: 3)

    @Test("[n], [n, m] and [n][m] that name passages sent are kept and listed once, ascending")
    func keepsValidCitations() {
        let result = resolver.resolve("A [2]. B [1, 3]. C [3][1]. D [2].")
        #expect(result.text == "A [2]. B [1, 3]. C [3][1]. D [2].")
        #expect(result.cited == [1, 2, 3])
        #expect(result.dropped.isEmpty)
    }

    @Test("A number naming no passage is removed from the text and not listed")
    func dropsInventedNumbers() {
        #expect(resolver.resolve("Receipts are needed [9].").text == "Receipts are needed.")
        #expect(resolver.resolve("Receipts [2][9] are needed.").text == "Receipts [2] are needed.")
        let mixed = resolver.resolve("Receipts [1, 9, 3] and [0].")
        #expect(mixed.text == "Receipts [1, 3] and.")
        #expect(mixed.cited == [1, 3])
        #expect(mixed.dropped == [9, 0])
        #expect(resolver.resolve("[9] Starts here").cited.isEmpty)
        #expect(CitationResolver(passageCount: 0).resolve("None [1].").text == "None.")
    }

    @Test("Brackets that are not citations are left alone")
    func ignoresOtherBrackets() {
        let text = "See [the guide](https://x/y) and [x], [1-2], [ ] and array[12345678901234567890123]."
        let result = resolver.resolve(text)
        #expect(result.cited.isEmpty)
        #expect(result.text.hasPrefix("See [the guide](https://x/y) and [x], [1-2], [ ]"))
        #expect(resolver.resolve("[1](https://link)").text == "[1](https://link)")
    }
}

@Suite("Prompt builder")
struct PromptBuilderTests {
    let passages = [
        Passage(datastore: "hb", pageId: "11", title: "Expenses", url: "https://w/x/pages/11#filing",
                headingPath: ["Filing"], text: "  File within 30 days.\n"),
        Passage(datastore: "hb", pageId: "12", title: "Travel", url: "https://w/x/pages/12", headingPath: [],
                text: String(repeating: "long ", count: 2_000)),
    ]

    @Test("Passages are numbered with title, headings and URL, then the question; the system message asks for [n]")
    func numbersPassages() {
        let builder = PromptBuilder(maxPassageCharacters: 100)
        let messages = builder.messages(question: "How do I file?", passages: passages)
        #expect(messages.map(\.role) == ["system", "user"])
        #expect(messages[0].content.contains("[1]"))
        #expect(messages[0].content.contains("only the numbered passages"))
        let user = messages[1].content
        #expect(user.contains("[1] Expenses › Filing (https://w/x/pages/11#filing)\nFile within 30 days.\n"))
        #expect(user.contains("[2] Travel (https://w/x/pages/12)\n"))
        #expect(user.hasSuffix("\nQuestion: How do I file?"))
        // A long passage is clipped.
        #expect(user.count < 600)
        #expect(PromptBuilder.estimateTokens(messages) > 0)
    }

    @Test("The extractive answer cites each passage it quotes")
    func extractive() {
        let composed = ExtractiveAnswer(maxPassages: 3, maxCharacters: 50).compose(passages)
        #expect(composed.cited == [1, 2])
        #expect(composed.text.contains("**Expenses › Filing** [1]\nFile within 30 days."))
        #expect(composed.text.contains("[2]"))
        #expect(ExtractiveAnswer().compose([]).cited.isEmpty)
    }
}

@Suite("Server-sent events")
struct SSEParserTests {
    @Test("Events split anywhere across chunks, with CRLF, CR or LF, comments and multi-line data")
    func splitAnywhere() throws {
        let stream = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: note\ndata: one\ndata: two\n\nid: 3\rdata:x é\r\r: bye\ndata: [DONE]\n\n"
        let bytes = Array(stream.utf8)
        let whole = try collect([bytes])
        #expect(whole == [
            .init(data: "{\"a\":1}"), .init(name: "note", data: "one\ntwo"), .init(data: "x é"), .init(data: "[DONE]"),
        ])
        // Every split point, including between CR and LF and inside "é".
        for split in 1..<bytes.count {
            #expect(try collect([Array(bytes[..<split]), Array(bytes[split...])]) == whole, "split at \(split)")
        }
        // One byte at a time.
        #expect(try collect(bytes.map { [$0] }) == whole)
    }

    @Test("An unterminated last event is given at the end; an overlong line fails")
    func endAndLimits() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("data: tail".utf8)).isEmpty)
        #expect(parser.finish() == .init(data: "tail"))
        var small = SSEParser(maxLineBytes: 8)
        #expect(throws: SSEParser.LineTooLong.self) { try small.feed(Array("data: 123456789\n".utf8)) }
    }

    @Test("Chat chunks: deltas, usage and errors")
    func chunks() throws {
        let delta = try ChatClient.decodeChunk(#"{"choices":[{"index":0,"delta":{"content":"Hi"}}],"model":"m"}"#)
        #expect(delta.text == "Hi")
        #expect(delta.model == "m")
        let usage = try ChatClient.decodeChunk(#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2}}"#)
        #expect(usage.usage == TokenUsage(promptTokens: 10, completionTokens: 2))
        #expect(throws: ChatError.self) { try ChatClient.decodeChunk("not json") }
        #expect(throws: ChatError.self) { try ChatClient.decodeChunk(#"{"error":{"message":"overloaded"}}"#) }
    }

    private func collect(_ chunks: [[UInt8]]) throws -> [SSEParser.Event] {
        var parser = SSEParser()
        var events: [SSEParser.Event] = []
        for chunk in chunks { events += try parser.feed(chunk) }
        if let last = parser.finish() { events.append(last) }
        return events
    }
}

@Suite("Chat endpoint")
struct ChatEndpointTests {
    @Test("The completions URL is the base plus /chat/completions; descriptions never show the key or URL credentials")
    func noKeyInDescriptions() {
        let endpoint = ChatEndpoint(baseURL: "https://user:pw@api.example.com/v1/?token=t", model: "m", apiKey: "sk-secret-123")
        #expect(ChatEndpoint(baseURL: "http://localhost:11434/v1/", model: "m").completionsURL == "http://localhost:11434/v1/chat/completions")
        for text in ["\(endpoint)", String(reflecting: endpoint), String(describing: Mirror(reflecting: endpoint).children.map(\.value))] {
            #expect(!text.contains("sk-secret-123"))
            #expect(!text.contains("pw"))
        }
        #expect(ChatClient.redact("bad key sk-secret-123", endpoint: endpoint) == "bad key <redacted>")
        #expect(ChatEndpoint(baseURL: "http://h/v1", model: "m", timeout: .seconds(300)).silenceTimeout == .seconds(60))
        #expect(ChatEndpoint(baseURL: "http://h/v1", model: "m", timeout: .seconds(5)).silenceTimeout == .seconds(5))
    }
}
