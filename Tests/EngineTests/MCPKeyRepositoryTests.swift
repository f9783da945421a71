import Foundation
import Storage
import Testing
@testable import Engine

@Suite("MCP keys")
struct MCPKeyRepositoryTests {
    @Test("a created key verifies to its label; only its SHA-256 is stored")
    func createAndVerify() throws {
        let temporary = try TemporaryEngineStore()
        let keys = try MCPKeyRepository(store: temporary.store)
        let key = try keys.create(label: "laptop", now: 1_000)
        #expect(key.hasPrefix("trb_"))
        #expect(key.count == 4 + 43)  // 32 bytes in unpadded base64url
        #expect(key.dropFirst(4).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(keys.verify(key, now: 2_000) == "laptop")
        #expect(keys.verify(key + "x", now: 2_000) == nil)
        #expect(keys.verify("trb_" + String(repeating: "A", count: 43), now: 2_000) == nil)
        #expect(keys.verify("", now: 2_000) == nil)
        let records = try keys.list()
        #expect(records.map(\.label) == ["laptop"])
        // The FIPS 180-4 test vector for "abc".
        #expect(MCPKeyRepository.hex(MCPKeyHash.digest("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(records[0].hash == MCPKeyRepository.hex(MCPKeyHash.digest(key)))
        // The key's text is nowhere in the store file.
        let file = try Data(contentsOf: URL(fileURLWithPath: temporary.directory + "/data.mdb"))
        #expect(file.range(of: Data(key.utf8)) == nil)
        #expect(file.range(of: Data(key.dropFirst(4).utf8)) == nil)
    }

    @Test("two keys differ; a label is used once; bad labels are refused")
    func labels() throws {
        let temporary = try TemporaryEngineStore()
        let keys = try MCPKeyRepository(store: temporary.store)
        let one = try keys.create(label: "a")
        let two = try keys.create(label: "b")
        #expect(one != two)
        #expect(throws: MCPKeyError.exists(label: "a")) { try keys.create(label: "a") }
        for bad in ["", "with space", String(repeating: "x", count: 65), "naïve", "a/b"] {
            #expect(throws: MCPKeyError.self) { try keys.create(label: bad) }
        }
        #expect(try keys.list().map(\.label) == ["a", "b"])
    }

    @Test("a revoked key stops verifying at once; revoking an unknown label fails")
    func revoke() throws {
        let temporary = try TemporaryEngineStore()
        let keys = try MCPKeyRepository(store: temporary.store)
        let key = try keys.create(label: "ci")
        let other = try keys.create(label: "other")
        try keys.revoke(label: "ci")
        #expect(keys.verify(key) == nil)
        #expect(keys.verify(other) == "other")
        #expect(try keys.list().map(\.label) == ["other"])
        #expect(throws: MCPKeyError.noSuchKey(label: "ci")) { try keys.revoke(label: "ci") }
        // The label is free again, with a new key.
        let again = try keys.create(label: "ci")
        #expect(again != key)
        #expect(keys.verify(key) == nil)
        #expect(keys.verify(again) == "ci")
    }

    @Test("lastUsed is written at most once a minute")
    func lastUsed() throws {
        let temporary = try TemporaryEngineStore()
        let keys = try MCPKeyRepository(store: temporary.store)
        let key = try keys.create(label: "k", now: 0)
        #expect(try keys.list()[0].lastUsed == nil)
        _ = keys.verify(key, now: 100_000)
        #expect(try keys.list()[0].lastUsed == 100_000)
        _ = keys.verify(key, now: 159_999)
        #expect(try keys.list()[0].lastUsed == 100_000)
        _ = keys.verify(key, now: 160_000)
        #expect(try keys.list()[0].lastUsed == 160_000)
    }

    @Test("a second repository over the same store sees the keys")
    func persistence() throws {
        let temporary = try TemporaryEngineStore()
        let key = try MCPKeyRepository(store: temporary.store).create(label: "p")
        #expect(try MCPKeyRepository(store: temporary.store).verify(key) == "p")
    }
}
