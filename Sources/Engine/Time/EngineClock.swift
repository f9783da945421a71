import Foundation

/// The engine's time: every deadline, schedule, lease and back-off reads it, so engine tests
/// drive time by hand and run deterministically with no sleeps. ``SystemEngineClock`` is the
/// production one.
public protocol EngineClock: Sendable {
    /// Milliseconds since the Unix epoch.
    var nowMillis: Int64 { get }
    /// Returns when ``nowMillis`` has reached `deadline` (or at once if it has), or throws
    /// `CancellationError` when the calling task is cancelled.
    func sleep(untilMillis deadline: Int64) async throws
}

/// Wall-clock time.
public struct SystemEngineClock: EngineClock {
    public init() {}

    public var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    public func sleep(untilMillis deadline: Int64) async throws {
        let delay = deadline - nowMillis
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) } else { try Task.checkCancellation() }
    }
}
