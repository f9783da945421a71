import FakeConfluenceSupport
import Foundation
import Storage
import Testing
@testable import Engine

/// Issue #13 ("Also"): stored API tokens sealed at rest with AES-256-GCM.
@Suite("Secrets sealed at rest")
struct SecretSealerTests {
    static let keyA = [UInt8](repeating: 0xA5, count: 32)
    static let keyB = [UInt8](repeating: 0x5A, count: 32)
    static let token = "ATATT3xFfGF0-secret-token-\(UUID().uuidString.prefix(8))"

    @Test("Round trip: sealed bytes carry the header, never the token, a fresh nonce each time, and open to the token")
    func roundTrip() throws {
        let sealer = try AESGCMSealer(key: Self.keyA)
        let first = try sealer.seal(Self.token, datastore: 7)
        let second = try sealer.seal(Self.token, datastore: 7)
        #expect(Array(first.prefix(4)) == [0x00, 0x54, 0x53, 0x01])
        #expect(first.count == 4 + 12 + Self.token.utf8.count + 16)
        #expect(first != second, "the nonce must differ per sealing")
        #expect(first.firstRange(of: Array(Self.token.utf8)) == nil)
        #expect(sealer.isSealed(first) && !sealer.isSealed(Array(Self.token.utf8)))
        #expect(try sealer.open(first, datastore: 7) == Self.token)
        #expect(try sealer.open(second, datastore: 7) == Self.token)
        #expect(try sealer.open(try sealer.seal("", datastore: 1), datastore: 1) == "")
        // Plaintext stored before a key was configured still opens (start-up re-seals it).
        #expect(try sealer.open(Array(Self.token.utf8), datastore: 7) == Self.token)
    }

    @Test("A changed byte, another key, another datastore, another version or cut bytes: wrongKeyOrDamaged, never the token")
    func tamper() throws {
        let sealer = try AESGCMSealer(key: Self.keyA)
        let sealed = try sealer.seal(Self.token, datastore: 7)
        func failure(_ body: () throws(SecretSealingError) -> String) -> SecretSealingError? {
            do {
                _ = try body()
                return nil
            } catch {
                return error
            }
        }
        for index in [4, 4 + 12, sealed.count / 2, sealed.count - 1] {  // nonce, ciphertext, middle, tag
            var damaged = sealed
            damaged[index] ^= 0x01
            #expect(failure { () throws(SecretSealingError) in try sealer.open(damaged, datastore: 7) } == .wrongKeyOrDamaged, "byte \(index)")
        }
        var otherVersion = sealed
        otherVersion[3] = 2
        #expect(failure { () throws(SecretSealingError) in try sealer.open(otherVersion, datastore: 7) } == .wrongKeyOrDamaged)
        #expect(failure { () throws(SecretSealingError) in try sealer.open(Array(sealed.prefix(20)), datastore: 7) } == .wrongKeyOrDamaged)
        #expect(failure { () throws(SecretSealingError) in try sealer.open(sealed, datastore: 8) } == .wrongKeyOrDamaged)
        let other = try AESGCMSealer(key: Self.keyB)
        #expect(failure { () throws(SecretSealingError) in try other.open(sealed, datastore: 7) } == .wrongKeyOrDamaged)
        // Without a key, sealed bytes are refused, never handed on as a token.
        #expect(failure { () throws(SecretSealingError) in try PlaintextSecrets().open(sealed, datastore: 7) } == .noKey)
        for error in [SecretSealingError.wrongKeyOrDamaged, .noKey] {
            #expect(!error.description.contains(Self.token))
        }
        #expect(throws: SecretSealingError.self) { try AESGCMSealer(key: [UInt8](repeating: 1, count: 16)) }
    }

    @Test("Plaintext migration: a token stored without a key is sealed at the next start with one, once; the wrong key or no key is a configuration failure")
    func migration() async throws {
        let temporary = try TemporaryEngineStore()
        let logger = EngineHarness.quietLogger()
        let configuration = DatastoreConfiguration(
            name: "eng", url: "https://example.atlassian.net/wiki/spaces/ENG", auth: .apiToken, email: "a@example.com")
        let plain = try Engine(store: temporary.store, logger: logger)
        let id = try await plain.create(configuration, secret: Self.token).record.id
        #expect(try raw(temporary, plain, id) == Array(Self.token.utf8))
        #expect(try await plain.sealStoredSecrets() == 0, "no key: nothing to seal")

        let sealing = try Engine(store: temporary.store, logger: logger, secrets: try AESGCMSealer(key: Self.keyA))
        #expect(try await sealing.sealStoredSecrets() == 1)
        let stored = try #require(try raw(temporary, sealing, id))
        #expect(SealedSecretFormat.hasHeader(stored) && stored.firstRange(of: Array(Self.token.utf8)) == nil)
        #expect(try await sealing.sealStoredSecrets() == 0, "already sealed")
        #expect(try raw(temporary, sealing, id) == stored)
        #expect(try sealing.parts.pageSources.storedSecret(id) == Self.token)
        // A token set with the key configured is stored sealed.
        _ = try await sealing.update(name: "eng", configuration: configuration, secret: Self.token + "-2")
        #expect(SealedSecretFormat.hasHeader(try #require(try raw(temporary, sealing, id))))
        #expect(try sealing.parts.pageSources.storedSecret(id) == Self.token + "-2")

        for (engine, expected) in [
            (try Engine(store: temporary.store, logger: logger, secrets: try AESGCMSealer(key: Self.keyB)), SecretSealingError.wrongKeyOrDamaged),
            (try Engine(store: temporary.store, logger: logger), SecretSealingError.noKey),
        ] {
            do throws(SyncFailure) {
                _ = try engine.parts.pageSources.storedSecret(id)
                Issue.record("opened with \(expected)")
            } catch {
                guard case .permanent(let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.kind == .configuration && reason.message == expected.description)
                #expect(!reason.message.contains(Self.token))
            }
        }
    }

    @Test("A datastore whose token was sealed with another key fails with a configuration reason; a new token syncs it")
    func wrongKeyFailsTheDatastore() async throws {
        try await FakeConfluence.with(["--generate", "10", "--email", EngineHarness.email, "--token", EngineHarness.token]) { fake in
            let temporary = try TemporaryEngineStore(mapSize: 1 << 26)
            let configuration = DatastoreConfiguration(
                name: "gen", url: fake.origin + "/wiki/spaces/GEN", auth: .apiToken, email: EngineHarness.email)
            let first = try Engine(store: temporary.store, options: EngineHarness.fastOptions(), logger: EngineHarness.quietLogger(),
                                   secrets: try AESGCMSealer(key: Self.keyA))
            _ = try await first.create(configuration, secret: EngineHarness.token)
            // Another key at the next start (not started before: no job ran with the first key).
            let engine = try Engine(store: temporary.store, options: EngineHarness.fastOptions(), logger: EngineHarness.quietLogger(),
                                    secrets: try AESGCMSealer(key: Self.keyB))
            try await engine.start()
            do {
                try await Self.failThenRecover(engine, configuration: configuration)
            } catch {
                await engine.stop()
                throw error
            }
            await engine.stop()
        }
    }

    static func failThenRecover(_ engine: Engine, configuration: DatastoreConfiguration) async throws {
        let deadline = Date().addingTimeInterval(30)
        var snapshot = try engine.snapshot(name: "gen")
        while Date() < deadline {
            if case .failed = snapshot.record.state { break }
            try await Task.sleep(for: .milliseconds(20))
            snapshot = try engine.snapshot(name: "gen")
        }
        guard case .failed(let reason) = snapshot.record.state else {
            Issue.record("state \(snapshot.record.state.name)")
            return
        }
        #expect(reason.kind == .configuration)
        #expect(reason.message == SecretSealingError.wrongKeyOrDamaged.description)
        // Setting the token again (sealed with the current key) recovers the datastore.
        _ = try await engine.update(name: "gen", configuration: configuration, secret: EngineHarness.token)
        let recovery = Date().addingTimeInterval(60)
        while Date() < recovery {
            snapshot = try engine.snapshot(name: "gen")
            if case .ready = snapshot.record.state { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(snapshot.record.state.name == "ready", "\(snapshot.record.lastError ?? "")")
    }

    /// The stored bytes of a datastore's secret.
    func raw(_ temporary: TemporaryEngineStore, _ engine: Engine, _ id: UInt64) throws -> [UInt8]? {
        try temporary.store.read { try $0.get(engine.parts.tables.secrets, id) }
    }
}
