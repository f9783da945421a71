import Foundation
import Testing
@testable import DaemonConfig
@testable import Engine

@Suite("Model answers: configuration")
struct ModelConfigurationTests {
    func load(_ text: String) throws(ConfigError) -> DaemonConfiguration {
        let directory = NSTemporaryDirectory() + "tributary-llm-conf-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/tributaryd.conf"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return try DaemonConfiguration.load(path: path)
    }

    @Test("llm_* keys: defaults, every key, and clear errors that name the limits")
    func configuration() throws {
        #expect(try load("log = stderr\n").model == nil)
        let minimal = try #require(try load("llm_url = http://localhost:11434/v1\nllm_model = qwen2.5:7b\n").model)
        #expect(minimal == ModelConfiguration(url: "http://localhost:11434/v1", model: "qwen2.5:7b", key: .none,
                                              timeoutSeconds: 120, millicreditsPerThousandTokens: 100))
        let full = try #require(try load("""
            llm_url = https://api.example.com/v1
            llm_model = gpt-x
            llm_api_key_file = /etc/tributary/llm-key
            llm_timeout = 2m
            llm_price = 0.25
            """).model)
        #expect(full.key == .file(path: "/etc/tributary/llm-key"))
        #expect(full.timeoutSeconds == 120 && full.millicreditsPerThousandTokens == 250)
        #expect(try load("llm_url = http://h/v1\nllm_model = m\nllm_api_key_credential = llm-key\nllm_timeout = 5\n").model?.key
            == .credential(name: "llm-key"))

        func failure(_ text: String) -> String {
            do {
                _ = try load(text)
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(failure("llm_model = m\n").contains("needs llm_url"))
        #expect(failure("llm_url = http://h/v1\n").contains("needs llm_model"))
        #expect(failure("llm_url = ftp://h/v1\nllm_model = m\n").contains("http:// or https://"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_api_key_file = /k\nllm_api_key_credential = k\n").contains("not both"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_api_key_file = key\n").contains("absolute path"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_api_key_credential = a/b\n").contains("without '/'"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_timeout = 0\n").contains("from 1s to 3600s"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_price = -1\n").contains("from 0.0 to 1000000.0"))
        #expect(failure("llm_url = http://h/v1\nllm_model = m\nllm_prize = 1\n").contains("unknown setting `llm_prize`"))
    }

    @Test("The shipped tributaryd.conf documents the llm_* keys: with its examples uncommented it still loads")
    func shippedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("etc/tributary/tributaryd.conf"), encoding: .utf8)
        #expect(try load(text).model == nil)
        // Uncomment the llm examples (one key source only).
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("# llm_") && !line.hasPrefix("# llm_api_key_credential") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        let model = try #require(try load(uncommented).model)
        #expect(model.url == "http://localhost:11434/v1")
        #expect(model.key == .file(path: "/etc/tributary/llm-key"))
        #expect(model.timeoutSeconds == ModelConfiguration.defaultTimeoutSeconds)
        #expect(model.millicreditsPerThousandTokens == ModelConfiguration.defaultMillicreditsPerThousandTokens)
    }
}
