/// The time source of a ``RateGovernor``: a monotonic reading and a sleep. Production uses
/// ``ContinuousRateClock``; tests pass a virtual clock, so pacing is checked without sleeping.
public protocol RateClock: Sendable {
    /// Time since an arbitrary, fixed origin; never goes backwards.
    var now: Duration { get }
    /// Returns once ``now`` has reached `deadline`; throws when the calling task is cancelled.
    func sleep(until deadline: Duration) async throws(CancellationError)
}

/// ``RateClock`` on the system's monotonic clock (which keeps counting while the machine sleeps).
public struct ContinuousRateClock: RateClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(until deadline: Duration) async throws(CancellationError) {
        do {
            try await ContinuousClock().sleep(until: origin + deadline, tolerance: .milliseconds(2))
        } catch {
            throw CancellationError()
        }
    }
}
