import FakeConfluenceSupport
import Foundation
import HTTP
import Synchronization
import Testing
@testable import Answering

@Suite("Chat client against the scripted model", .serialized)
struct ChatClientTests {
    static let key = "sk-test-\(UUID().uuidString.prefix(12))"
    let messages = [ChatMessage(role: "system", content: "Cite as [n]."), ChatMessage(role: "user", content: "Question: why?")]

    func endpoint(_ fake: FakeLLM, key: String? = ChatClientTests.key, timeout: Duration = .seconds(20),
                  silence: Duration? = nil) -> ChatEndpoint {
        ChatEndpoint(baseURL: fake.baseURL, model: "fake-model", apiKey: key, timeout: timeout, silenceTimeout: silence)
    }

    @Test("Streamed: deltas arrive in order as they are written, usage from the final chunk, the request as OpenAI's")
    func streamed() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            let answer = "One two [1] three four five [2]."
            try await fake.script(answer: answer, chunkDelayMilliseconds: 20)
            let deltas = Mutex<[String]>([])
            let completion = try await ChatClient().complete(messages, endpoint: endpoint(fake)) { delta in
                deltas.withLock { $0.append(delta) }
            }
            #expect(completion.text == answer)
            let received = deltas.withLock { $0 }
            #expect(received.count == answer.split(separator: " ").count)
            #expect(received.joined() == answer)
            #expect(completion.usage?.completionTokens == answer.split(separator: " ").count)
            #expect((completion.usage?.promptTokens ?? 0) > 0)
            let request = try #require(try await fake.requests().last)
            #expect(request.authorized)
            #expect(request.stream)
            #expect(request.model == "fake-model")
            #expect(request.prompt.contains("Question: why?"))
            #expect(request.body.contains("\"include_usage\":true"))
            #expect(request.body.contains("\"temperature\":0.1"))
        }
    }

    @Test("Not streamed, and a server that answers JSON to a streaming request; no usage reported")
    func whole() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            try await fake.script(answer: "Whole [1].", usage: false)
            let plain = try await ChatClient().complete(messages, endpoint: endpoint(fake), stream: false)
            #expect(plain == ChatCompletion(text: "Whole [1].", usage: nil, model: "fake-model"))
            #expect(try await fake.requests().last?.stream == false)

            try await fake.script(answer: "Json [2].", usage: true, jsonEvenIfStream: true)
            let deltas = Mutex<[String]>([])
            let fallback = try await ChatClient().complete(messages, endpoint: endpoint(fake)) { delta in
                deltas.withLock { $0.append(delta) }
            }
            #expect(fallback.text == "Json [2].")
            #expect(fallback.usage != nil)
            #expect(deltas.withLock { $0 } == ["Json [2]."])
        }
    }

    @Test("401 with a wrong key, 500, garbage, a silent model and a closed port give typed errors without the key")
    func failures() async throws {
        try await FakeLLM.with(key: Self.key, hangSeconds: 10) { fake in
            let client = ChatClient()
            let wrongKey = "sk-wrong-\(UUID().uuidString.prefix(8))"
            await #expect(throws: ChatError.unauthorized(status: 401)) {
                try await client.complete(messages, endpoint: endpoint(fake, key: wrongKey))
            }
            try await fake.script(mode: "500")
            do throws(ChatError) {
                _ = try await client.complete(messages, endpoint: endpoint(fake))
                Issue.record("a 500 answered")
            } catch {
                #expect(error == .httpStatus(500, message: "the model crashed"))
                #expect(error.description == "the model answered HTTP 500: the model crashed")
            }
            try await fake.script(mode: "garbage")
            await #expect(throws: ChatError.badResponse("not a chat completion in JSON")) {
                try await client.complete(messages, endpoint: endpoint(fake))
            }
            try await fake.script(mode: "hang")
            let start = ContinuousClock.now
            do throws(ChatError) {
                _ = try await client.complete(messages, endpoint: endpoint(fake, timeout: .seconds(8), silence: .seconds(2)))
                Issue.record("a silent model answered")
            } catch {
                guard case .timeout = error else { Issue.record("expected a timeout, got \(error)"); return }
                #expect(!error.description.contains(Self.key))
            }
            #expect(ContinuousClock.now - start < .seconds(6))
        }
        // Nothing listens on a port just freed.
        let fake = try await FakeLLM.start()
        let closed = fake.baseURL
        await FakeConfluence.stop(fake.process)
        try await Task.sleep(for: .milliseconds(100))
        do throws(ChatError) {
            _ = try await ChatClient().complete(messages, endpoint: ChatEndpoint(baseURL: closed, model: "m", apiKey: Self.key))
            Issue.record("a closed port answered")
        } catch {
            guard case .unreachable = error else { Issue.record("expected unreachable, got \(error)"); return }
            #expect(!error.description.contains(Self.key))
        }
    }

    @Test("HTTP streaming: a reader that falls behind fails the transfer at the unread-bytes cap, memory stays bounded")
    func boundedStream() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            try await fake.script(answer: String(repeating: "word ", count: 400), chunkDelayMilliseconds: 0)
            let body = Array(#"{"model":"m","stream":true,"messages":[]}"#.utf8)
            let request = HTTPRequest(method: .post, url: fake.baseURL + "/chat/completions",
                                      headers: ["Authorization": "Bearer " + Self.key], body: body, maxResponseBytes: 2_048)
            let response = try await HTTPClient.shared.stream(request)
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == "text/event-stream")
            try await Task.sleep(for: .milliseconds(500))  // let the server outrun the reader
            var received = 0
            do throws(HTTPError) {
                while let chunk = try await response.nextChunk() { received += chunk.count }
                Issue.record("the whole stream was kept: \(received) bytes")
            } catch {
                #expect(error.kind == .responseTooLarge)
                #expect(received <= 2_048)
            }
        }
    }

    @Test("Cancelling the asking task ends a streamed answer promptly")
    func cancellation() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            try await fake.script(mode: "hang")
            let task = Task { try await ChatClient().complete(messages, endpoint: endpoint(fake)) }
            try await Task.sleep(for: .milliseconds(300))
            let start = ContinuousClock.now
            task.cancel()
            await #expect(throws: ChatError.cancelled) { try await task.value }
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }
}
