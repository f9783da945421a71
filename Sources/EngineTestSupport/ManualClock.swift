import Engine
import Synchronization

/// An ``EngineClock`` that moves only when a test says: ``advance(byMillis:)`` wakes every
/// sleeper whose deadline has passed, so schedules, retries and leases run with no real waits.
public final class ManualClock: EngineClock {
    private struct State {
        var now: Int64
        var nextID: UInt64 = 0
        var sleepers: [UInt64: (deadline: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var cancelled: Set<UInt64> = []
    }
    private let state: Mutex<State>

    /// Starts at `nowMillis` (ms since 1970; a fixed day by default, so runs repeat).
    public init(nowMillis: Int64 = 1_767_225_600_000) {
        state = Mutex(State(now: nowMillis))
    }

    public var nowMillis: Int64 { state.withLock { $0.now } }

    /// How many tasks sleep on this clock now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// Moves time forward and wakes the sleepers whose deadline is reached.
    public func advance(byMillis delta: Int64) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now += max(delta, 0)
            let now = state.now
            let ids = state.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in due { continuation.resume() }
    }

    public func sleep(untilMillis deadline: Int64) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Start { case now, cancelled, later }
                let start = state.withLock { state -> Start in
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    if deadline <= state.now { return .now }
                    state.sleepers[id] = (deadline, continuation)
                    return .later
                }
                switch start {
                case .now: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .later: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper.continuation }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.resume(throwing: CancellationError())
        }
    }
}

/// A ``FreeSpaceProbe`` that answers what the test sets.
public final class ManualFreeSpaceProbe: FreeSpaceProbe {
    private let bytes: Mutex<Int64?>

    public init(availableBytes: Int64? = 1 << 40) { bytes = Mutex(availableBytes) }

    public func set(availableBytes: Int64?) { bytes.withLock { $0 = availableBytes } }

    public func availableBytes() -> Int64? { bytes.withLock { $0 } }
}
