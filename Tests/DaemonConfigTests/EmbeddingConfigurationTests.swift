import Foundation
import Testing
@testable import DaemonConfig

@Suite("Hybrid search: embedding endpoint configuration")
struct EmbeddingConfigurationTests {
    func load(_ text: String) throws(ConfigError) -> DaemonConfiguration {
        let directory = NSTemporaryDirectory() + "tributary-embedding-conf-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/tributaryd.conf"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return try DaemonConfiguration.load(path: path)
    }

    func failure(_ text: String) -> String {
        do {
            _ = try load(text)
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test("embedding_* keys: none means lexical; url, model and one key source; clear errors")
    func configuration() throws {
        #expect(try load("log = stderr\n").embedding == nil)
        #expect(try load("embedding_url = http://127.0.0.1:8089\nembedding_model = all-MiniLM-L6-v2\n").embedding
            == EmbeddingConfiguration(url: "http://127.0.0.1:8089", model: "all-MiniLM-L6-v2", key: .none))
        #expect(try load("embedding_url = https://api.example.com/v1\nembedding_model = m\nembedding_api_key_file = /etc/k\n").embedding?.key
            == .file(path: "/etc/k"))
        #expect(try load("embedding_url = https://h\nembedding_model = m\nembedding_api_key_credential = embed-key\n").embedding?.key
            == .credential(name: "embed-key"))
        #expect(failure("embedding_model = m\n").contains("needs embedding_url"))
        #expect(failure("embedding_api_key_file = /k\n").contains("needs embedding_url"))
        #expect(failure("embedding_url = http://h:1\n").contains("needs embedding_model"))
        #expect(failure("embedding_url = ftp://h\nembedding_model = m\n").contains("http:// or https://"))
        #expect(failure("embedding_url = http://user:secret@h:1\nembedding_model = m\n").contains("without user:password@"))
        #expect(!failure("embedding_url = http://user:secret@h:1\nembedding_model = m\n").contains("secret"))
        #expect(failure("embedding_url = http://h:1\nembedding_model = m\nembedding_api_key_file = k\n").contains("absolute path"))
        #expect(failure("embedding_url = http://h:1\nembedding_model = m\nembedding_api_key_file = /k\nembedding_api_key_credential = k\n")
            .contains("not both"))
        #expect(failure("embedding_url = http://h:1\nembedding_model = m\nembedding_api_key_credential = a/b\n").contains("without '/'"))
    }

    @Test("The shipped tributaryd.conf documents the embedding_* keys: with its examples uncommented it still loads")
    func shippedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("etc/tributary/tributaryd.conf"), encoding: .utf8)
        #expect(try load(text).embedding == nil)
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("# embedding_") && !line.hasPrefix("# embedding_api_key_credential") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        let embedding = try #require(try load(uncommented).embedding)
        #expect(embedding.url.hasPrefix("http://"))
        #expect(!embedding.model.isEmpty)
    }
}
