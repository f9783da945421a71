import Foundation
import Synchronization

/// Fans "datastore changed" signals out to watchers without blocking the writer: each watcher
/// keeps at most one undelivered signal.
final class WatchHub: Sendable {
    private let watchers = Mutex<[UInt64: [UUID: AsyncStream<Void>.Continuation]]>([:])

    func subscribe(_ datastore: UInt64) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let token = UUID()
        watchers.withLock { $0[datastore, default: [:]][token] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.watchers.withLock { _ = $0[datastore]?.removeValue(forKey: token) }
        }
        return stream
    }

    func changed(_ datastore: UInt64) {
        let targets = watchers.withLock { Array(($0[datastore] ?? [:]).values) }
        for continuation in targets { continuation.yield() }
    }

    func finish(_ datastore: UInt64) {
        let targets = watchers.withLock { $0.removeValue(forKey: datastore).map { Array($0.values) } ?? [] }
        for continuation in targets { continuation.finish() }
    }

    func finishAll() {
        let targets = watchers.withLock { all in
            defer { all = [:] }
            return all.values.flatMap(\.values)
        }
        for continuation in targets { continuation.finish() }
    }
}

/// Lets the scheduler sleep until work is queued or a deadline passes.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when rung, or when `clock` reaches `deadline` (a ring before the wait counts).
    func wait(untilMillis deadline: Int64, clock: any EngineClock) async {
        let timer = Task { [weak self] in
            // A cancelled timer must not ring: that would wake the next wait at once.
            guard (try? await clock.sleep(untilMillis: deadline)) != nil else { return }
            self?.ring()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }
}

/// The scheduler's last loop time, readable from any thread (the watchdog reads it).
final class HeartbeatClock: Sendable {
    private let value = Atomic<Int64>(0)
    var last: Int64 { value.load(ordering: .relaxed) }
    func beat(now: Int64) { value.store(now, ordering: .relaxed) }
}
