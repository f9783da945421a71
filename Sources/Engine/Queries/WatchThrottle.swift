import Synchronization

/// When a watcher of a datastore sees its next snapshot. A change of state (`ready`, `failed`,
/// `paused`, …) or of the kind of wait it is in (throttled, retrying, …) goes out at once;
/// progress alone (counts, phase) at most once per `intervalMillis`, and the latest progress
/// held back goes out when the interval ends, so a watcher never keeps a stale count and `watch --until ready` returns
/// as soon as the datastore is ready (sleeping after every snapshot delayed it by up to an
/// interval: 250 ms by default).
///
/// Snapshots are read, compared and yielded under one lock, so they reach the stream in the
/// order they were read. The caller feeds it change signals (``changed()``) and runs the
/// flushes it asks for (``flush()`` at the returned deadline).
final class WatchThrottle: Sendable {
    private struct State {
        var last: DatastoreSnapshot
        var lastSentMillis: Int64
        /// A flush is scheduled: progress held back goes out then.
        var flushDue = false
    }

    private let state: Mutex<State>
    private let intervalMillis: Int64
    private let clock: any EngineClock
    private let read: @Sendable () -> DatastoreSnapshot?
    private let continuation: AsyncStream<DatastoreSnapshot>.Continuation

    /// Sends `first` at once. `read` gives the datastore's snapshot now (nil: it is gone).
    init(first: DatastoreSnapshot, intervalMillis: Int64, clock: any EngineClock,
         read: @escaping @Sendable () -> DatastoreSnapshot?, continuation: AsyncStream<DatastoreSnapshot>.Continuation) {
        self.intervalMillis = max(0, intervalMillis)
        self.clock = clock
        self.read = read
        self.continuation = continuation
        state = Mutex(State(last: first, lastSentMillis: clock.nowMillis))
        continuation.yield(first)
    }

    /// The datastore changed. Returns the deadline of a flush the caller must run (``flush()``
    /// once the engine's clock reaches it), or nil; false as `alive` when the datastore is gone.
    func changed() -> (alive: Bool, flushAt: Int64?) {
        state.withLock { state in
            guard let next = read() else { return (false, nil) }
            guard next != state.last else { return (true, nil) }
            let now = clock.nowMillis
            let urgent = next.record.state != state.last.record.state || next.waiting?.kind != state.last.waiting?.kind
            if urgent || now - state.lastSentMillis >= intervalMillis {
                send(next, now: now, in: &state)
                return (true, nil)
            }
            guard !state.flushDue else { return (true, nil) }
            state.flushDue = true
            return (true, state.lastSentMillis + intervalMillis)
        }
    }

    /// Sends the snapshot now if it differs from the last one sent.
    func flush() {
        state.withLock { state in
            state.flushDue = false
            guard let next = read(), next != state.last else { return }
            send(next, now: clock.nowMillis, in: &state)
        }
    }

    private func send(_ snapshot: DatastoreSnapshot, now: Int64, in state: inout State) {
        continuation.yield(snapshot)
        state.last = snapshot
        state.lastSentMillis = now
    }
}
