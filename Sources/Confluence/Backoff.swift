import Foundation

/// Exponential back-off with multiplicative jitter, as Atlassian recommends: start near
/// `base`, double per attempt, multiply by a random factor (0.7–1.3 by default), cap.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    public var jitter: ClosedRange<Double>

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(60), jitter: ClosedRange<Double> = 0.7...1.3) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// Delay before retry number `attempt` (1 for the first retry), using `random` to draw
    /// the jitter factor from the range.
    public func delay(attempt: Int, random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let raw = min(base.seconds * pow(2, min(exponent, 30)), cap.seconds)
        let factor = random(jitter)
        return .seconds(min(raw * factor, cap.seconds * jitter.upperBound))
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (whole, atto) = components
        return Double(whole) + Double(atto) / 1e18
    }
}
