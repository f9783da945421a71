import Foundation
import Testing
@testable import DaemonConfig
@testable import Engine

@Suite("The secrets key: secrets_key_credential and $CREDENTIALS_DIRECTORY")
struct SecretsKeyConfigurationTests {
    func directory() throws -> String {
        let path = NSTemporaryDirectory() + "tributary-creds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func load(_ text: String) throws(ConfigError) -> DaemonConfiguration {
        let path = (try? directory()).map { $0 + "/tributaryd.conf" } ?? "/nonexistent"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return try DaemonConfiguration.load(path: path)
    }

    @Test("secrets_key_credential is read; absent it is nil; a name with '/' is refused on its line")
    func configuration() throws {
        #expect(try load("log = auto\n").secretsKeyCredential == nil)
        #expect(try load("secrets_key_credential = tributary-secrets-key\n").secretsKeyCredential == "tributary-secrets-key")
        do {
            _ = try load("log = auto\nsecrets_key_credential = ../key\n")
            Issue.record("accepted a path")
        } catch {
            #expect(error.line == 2 && error.message.contains("without '/'"))
        }
    }

    @Test("The shipped tributaryd.conf documents secrets_key_credential: uncommented it still loads")
    func shippedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("etc/tributary/tributaryd.conf"), encoding: .utf8)
        let uncommented = text.replacingOccurrences(of: "# secrets_key_credential", with: "secrets_key_credential")
        #expect(uncommented != text)
        #expect(try load(uncommented).secretsKeyCredential == "tributary-secrets-key")
    }

    @Test("The key: 32 raw bytes or 64 hex digits; anything else, a missing credential or none at all is a clear error without key material")
    func key() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let credentials = CredentialsDirectory(path: path)
        let raw = [UInt8](repeating: 0x0A, count: 32)  // newlines too: raw keys are never trimmed
        try Data(raw).write(to: URL(fileURLWithPath: path + "/raw"))
        try (String(repeating: "0a", count: 32) + "\n").write(toFile: path + "/hex", atomically: true, encoding: .utf8)
        try "not-a-key".write(toFile: path + "/short", atomically: true, encoding: .utf8)
        try String(repeating: "zz", count: 32).write(toFile: path + "/badhex", atomically: true, encoding: .utf8)

        let fromRaw = try SecretsKey.sealer(credential: "raw", from: credentials)
        let fromHex = try SecretsKey.sealer(credential: "hex", from: credentials)
        // The same key either way: what one seals, the other opens.
        #expect(try fromHex.open(try fromRaw.seal("token", datastore: 3), datastore: 3) == "token")

        func failure(_ name: String, _ reader: any CredentialReader) -> SecretsKeyError? {
            do {
                _ = try SecretsKey.sealer(credential: name, from: reader)
                return nil
            } catch {
                return error
            }
        }
        #expect(failure("short", credentials) == .malformed(name: "short", length: 9))
        #expect(failure("badhex", credentials) == .malformed(name: "badhex", length: 64))
        #expect(failure("missing", credentials) == .unreadable(name: "missing"))
        #expect(failure("../raw", credentials) == .unreadable(name: "../raw"))
        #expect(failure("raw", NoCredentials()) == .noCredentials(name: "raw"))
        #expect(!(failure("short", credentials)?.description.contains("not-a-key") ?? true))
    }

    @Test("CredentialsDirectory reads $CREDENTIALS_DIRECTORY/NAME and stays inside it")
    func credentialsDirectory() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "tok\n".write(toFile: path + "/eng-token", atomically: true, encoding: .utf8)
        #expect(CredentialsDirectory.fromEnvironment([:]) == nil)
        #expect(CredentialsDirectory.fromEnvironment(["CREDENTIALS_DIRECTORY": ""]) == nil)
        let credentials = try #require(CredentialsDirectory.fromEnvironment(["CREDENTIALS_DIRECTORY": path]))
        #expect(try credentials.read("eng-token") == Array("tok\n".utf8))
        #expect(throws: CredentialError.unreadable) { try credentials.read("other") }
        for name in ["", ".", "..", "../eng-token", "a/b"] {
            #expect(throws: CredentialError.invalidName) { try credentials.read(name) }
        }
    }
}
