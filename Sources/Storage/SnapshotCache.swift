import Synchronization

/// Values read and decoded from one committed state of a store, reused by later read
/// transactions until a write commits. Keyed by each transaction's ``ReadTransaction/snapshotID``:
/// a transaction that sees a newer state empties the cache, one that sees an older state (it
/// began before the latest commit) reads without it, and write transactions, whose view may
/// still roll back, never use it. So a cached value is exactly what a read would return.
///
/// For records decoded on every query (a datastore's configuration, page metadata) while the
/// store is quiet; one cache belongs to one store. At most `capacity` values are kept (past
/// that the cache starts over).
public final class SnapshotCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var snapshot = Int.min
        var values: [Key: Value?] = [:]
    }

    private let state = Mutex(State())
    /// The most values kept at once.
    public let capacity: Int

    /// An empty cache holding at most `capacity` values (absent ones count too).
    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 1)
    }

    /// The value for `key` as `txn` sees it: from the cache when it was loaded from the same
    /// snapshot, otherwise from `load` (whose result, nil included, is kept for that snapshot).
    public func value(for key: Key, in txn: ReadTransaction, load: () throws -> Value?) rethrows -> Value? {
        guard txn.isReadOnly else { return try load() }
        let snapshot = txn.snapshotID
        let cached: Value?? = state.withLock { state in
            state.snapshot == snapshot ? state.values[key] : nil
        }
        if let cached { return cached }
        let loaded = try load()
        state.withLock { state in
            if snapshot > state.snapshot {
                state.snapshot = snapshot
                state.values.removeAll(keepingCapacity: true)
            }
            guard snapshot == state.snapshot else { return }
            if state.values.count >= capacity { state.values.removeAll(keepingCapacity: true) }
            state.values[key] = loaded
        }
        return loaded
    }

    /// Values held now (for tests).
    public var count: Int { state.withLock { $0.values.count } }
}
