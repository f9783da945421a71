import Embeddings
import FakeConfluenceSupport
import Foundation
import HTTP
import Testing

@Suite("Embedding client against the scripted server", .serialized)
struct EmbeddingClientTests {
    static let key = "sk-embed-\(UUID().uuidString.prefix(12))"

    func endpoint(_ fake: FakeLLM, key: String? = EmbeddingClientTests.key) -> EmbeddingEndpoint {
        // FakeLLM's base URL ends in /v1: the client must not add a second one.
        EmbeddingEndpoint(baseURL: fake.baseURL, model: "fake-embed", apiKey: key, timeout: .seconds(5))
    }

    @Test("A batch: one vector per input in input order (the server answers out of order), the tokens, the request as OpenAI's")
    func batch() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            try await fake.script(dimensions: 8)
            let batch = try await EmbeddingClient().embed(["alpha beta", "gamma", "alpha beta"], endpoint: endpoint(fake))
            #expect(batch.vectors.count == 3)
            #expect(batch.vectors.allSatisfy { $0.count == 8 })
            #expect(batch.vectors[0] == batch.vectors[2])
            #expect(batch.vectors[0] != batch.vectors[1])
            #expect(batch.vectors[0].reduce(0, +) == 2 && batch.vectors[1].reduce(0, +) == 1)
            #expect(batch.tokens == 5)
            #expect(batch.model == "fake-embed")
            let request = try #require(try await fake.requests().last)
            #expect(request.authorized)
            #expect(request.inputs == ["alpha beta", "gamma", "alpha beta"])
            #expect(request.model == "fake-embed")
            #expect(request.body.contains("\"encoding_format\":\"float\""))
        }
    }

    @Test("Failures are typed: 401, 429 with Retry-After, 500 (transient), garbage, unreachable; the key never in a description")
    func failures() async throws {
        try await FakeLLM.with(key: Self.key) { fake in
            let client = EmbeddingClient()
            await #expect(throws: EmbeddingError.unauthorized(status: 401)) {
                try await client.embed(["x"], endpoint: endpoint(fake, key: "wrong"))
            }
            try await fake.script(mode: "429", retryAfter: 9)
            do throws(EmbeddingError) {
                _ = try await client.embed(["x"], endpoint: endpoint(fake))
                Issue.record("a throttled request succeeded")
            } catch {
                #expect(error == .throttled(status: 429, retryAfterSeconds: 9))
                #expect(error.isTransient)
                #expect(error.description.contains("Retry-After 9 s"))
            }
            try await fake.script(mode: "500")
            do throws(EmbeddingError) {
                _ = try await client.embed(["x"], endpoint: endpoint(fake))
                Issue.record("a failed request succeeded")
            } catch {
                #expect(error == .httpStatus(500, message: "the model crashed"))
                #expect(error.isTransient)
            }
            try await fake.script(mode: "garbage")
            await #expect(throws: EmbeddingError.badResponse("not an embeddings response in JSON")) {
                try await client.embed(["x"], endpoint: endpoint(fake))
            }
        }
        // Nothing listens on port 9 of the loopback.
        let closed = EmbeddingEndpoint(baseURL: "http://127.0.0.1:9", model: "m", apiKey: Self.key, timeout: .seconds(5))
        do throws(EmbeddingError) {
            _ = try await EmbeddingClient().embed(["x"], endpoint: closed)
            Issue.record("a closed port answered")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
            #expect(error.isTransient)
            #expect(!error.description.contains(Self.key))
        }
        #expect(!"\(closed)".contains(Self.key))
        #expect(!String(reflecting: closed).contains(Self.key))
    }

    @Test("The embeddings URL: {base}/v1/embeddings, a base ending in /v1 not doubled")
    func url() {
        #expect(EmbeddingEndpoint(baseURL: "http://h:1", model: "m").embeddingsURL == "http://h:1/v1/embeddings")
        #expect(EmbeddingEndpoint(baseURL: "http://h:1/", model: "m").embeddingsURL == "http://h:1/v1/embeddings")
        #expect(EmbeddingEndpoint(baseURL: "http://h:1/v1/", model: "m").embeddingsURL == "http://h:1/v1/embeddings")
    }
}
