import Foundation

/// Runs blocking work on a thread of its own, so it can neither starve nor be starved by the
/// cooperative pool (where the servers under test run their handlers).
public func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread.detachNewThread {
            do {
                continuation.resume(returning: try work())
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// Holds every thread of the global cooperative pool (one per core) with blocking work, as a sync
/// converting and indexing a batch does, until `release()`.
public final class GlobalPoolOccupier: @unchecked Sendable {
    // Safety: `running` and `released` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var running = 0
    private var released = false

    public init() {}

    /// Starts more blocking tasks than the pool has threads; true once a whole pool's worth runs.
    public func occupy(threads: Int, timeout: TimeInterval) -> Bool {
        for _ in 0..<(threads * 4 + 4) {
            Task.detached { self.block() }
        }
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while running < threads {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    public func release() {
        condition.lock()
        released = true
        condition.broadcast()
        condition.unlock()
    }

    private func block() {
        condition.lock()
        running += 1
        condition.broadcast()
        while !released { condition.wait() }
        condition.unlock()
    }
}

/// The nice value of the calling thread alone (Linux: `who` 0 of `PRIO_PROCESS` is the calling
/// thread), to check on which priority a pool's threads run work.
public func currentThreadNice() -> Int32 {
    getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
}
