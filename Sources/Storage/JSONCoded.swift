import Foundation
import StreamingJSON

/// Stores any `Codable` value as JSON: for configuration-like records where readability and
/// schema evolution matter more than speed. Hot records use ``StorageRecord`` instead.
public struct JSONCoded<Wrapped: Codable & Sendable>: StorageCodable, Sendable {
    public var value: Wrapped

    public init(_ value: Wrapped) {
        self.value = value
    }

    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // Written straight into bytes (the manifest and ledger records of every synced page
        // pass here), keys in declaration order. Encoding a Codable value built in memory only
        // fails for non-finite floats; store `null` rather than trapping inside a transaction.
        let bytes = (try? StreamingJSONEncoder.encode(value)) ?? Array("null".utf8)
        return try bytes.withUnsafeBytes(body)
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        do {
            value = try JSONDecoder().decode(Wrapped.self, from: Data(bytes))
        } catch {
            throw .decoding(table: "", detail: "invalid JSON for \(Wrapped.self): \(error)")
        }
    }
}
