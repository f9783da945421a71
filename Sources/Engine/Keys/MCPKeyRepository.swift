import Foundation
import Storage

/// A stored MCP key: its label, the SHA-256 of the key (the key itself is never stored), when
/// it was made and when it was last used (to the minute).
public struct MCPKeyRecord: Codable, Sendable, Equatable {
    public var label: String
    /// Lower-case hex SHA-256 of the key.
    public var hash: String
    /// Unix milliseconds.
    public var created: Int64
    public var lastUsed: Int64?
}

/// Why a key operation failed.
public enum MCPKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case exists(label: String)
    case noSuchKey(label: String)
    case invalidLabel(String)
    case storage(String)

    public var description: String {
        switch self {
        case .exists(let label): "a key labelled “\(label)” already exists"
        case .noSuchKey(let label): "no key is labelled “\(label)”"
        case .invalidLabel(let message): message
        case .storage(let message): "the store failed: \(message)"
        }
    }
}

/// The keys of the MCP HTTP endpoint, in the engine's LMDB store: `mcp_keys` (label → record)
/// and `mcp_key_hashes` (SHA-256 → label, the lookup by presented key). A key is `trb_` and
/// 32 bytes from the system's CSPRNG in base64url; it is returned once by ``create(label:now:)``
/// and only its hash is kept. Revoking deletes both rows, so it takes effect at the next request.
///
/// Stateless apart from the store: the daemon and the control backend may each hold one.
public struct MCPKeyRepository: Sendable {
    /// Every key starts with this, so leaked keys are easy to spot and a wrong string is refused without a lookup.
    public static let prefix = "trb_"
    /// `lastUsed` is written at most this often per key, so requests cost no write each.
    public static let lastUsedResolution: Int64 = 60_000

    let store: Store
    let records: Table<String, JSONCoded<MCPKeyRecord>>
    let hashes: Table<[UInt8], String>

    /// Opens (creating on first use) the two tables in `store`.
    public init(store: Store) throws(StorageError) {
        self.store = store
        records = try store.openTable("mcp_keys")
        hashes = try store.openTable("mcp_key_hashes")
    }

    /// Labels are 1-64 characters of letters, digits, `.`, `_` and `-`.
    public static func validate(label: String) throws(MCPKeyError) {
        guard (1...64).contains(label.count),
              label.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) })
        else {
            throw .invalidLabel("a key label is 1 to 64 letters, digits, “.”, “_” or “-”")
        }
    }

    /// Makes a key for `label` and returns it: the only time it is visible.
    public func create(label: String, now: Int64 = Int64(Date().timeIntervalSince1970 * 1_000)) throws(MCPKeyError) -> String {
        try Self.validate(label: label)
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux
        let random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = Self.prefix + Data(random).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let digest = MCPKeyHash.digest(key)
        let record = MCPKeyRecord(label: label, hash: Self.hex(digest), created: now, lastUsed: nil)
        try storage {
            try store.write { txn in
                if try txn.get(records, label) != nil { throw MCPKeyError.exists(label: label) }
                try txn.put(records, label, JSONCoded(record))
                try txn.put(hashes, digest, label)
            }
        }
        return key
    }

    /// Every key's record, by label.
    public func list() throws(MCPKeyError) -> [MCPKeyRecord] {
        try storage {
            try store.read { txn in
                var result: [MCPKeyRecord] = []
                try txn.forEach(in: records) { _, record in
                    result.append(record.value)
                    return .continue
                }
                return result
            }
        }
    }

    /// Deletes the key of `label`; requests presenting it fail from now on.
    public func revoke(label: String) throws(MCPKeyError) {
        try storage {
            try store.write { txn in
                guard let record = try txn.get(records, label)?.value else { throw MCPKeyError.noSuchKey(label: label) }
                try txn.delete(records, label)
                if let digest = Self.bytes(hex: record.hash) { try txn.delete(hashes, digest) }
            }
        }
    }

    /// The label of `key` when it is a current key, else nil. Records the use when the last
    /// one recorded is older than ``lastUsedResolution``.
    public func verify(_ key: String, now: Int64 = Int64(Date().timeIntervalSince1970 * 1_000)) -> String? {
        guard key.hasPrefix(Self.prefix), key.utf8.count <= 128 else { return nil }
        let digest = MCPKeyHash.digest(key)
        let found: MCPKeyRecord? = try? store.read { txn in
            guard let label = try txn.get(hashes, digest), let record = try txn.get(records, label)?.value else { return nil }
            return record
        }
        // The lookup was by hash; compare the stored hash in constant time all the same.
        guard let found, let stored = Self.bytes(hex: found.hash), MCPKeyHash.equal(stored, digest) else { return nil }
        if now - (found.lastUsed ?? 0) >= Self.lastUsedResolution {
            try? store.write { txn in
                // Re-read: the key may have been revoked (or used) since.
                guard var record = try txn.get(records, found.label)?.value, record.hash == found.hash else { return }
                record.lastUsed = now
                try txn.put(records, found.label, JSONCoded(record))
            }
        }
        return found.label
    }

    private func storage<T>(_ body: () throws -> T) throws(MCPKeyError) -> T {
        do {
            return try body()
        } catch let error as MCPKeyError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(utf8.count / 2)
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            result.append(high << 4 | low)
        }
        return result
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

extension Engine {
    /// The MCP keys in this engine's store.
    public nonisolated func mcpKeys() throws(EngineError) -> MCPKeyRepository {
        do {
            return try MCPKeyRepository(store: parts.store)
        } catch {
            throw EngineError(error)
        }
    }
}
