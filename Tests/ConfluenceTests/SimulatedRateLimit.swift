import Foundation
import HTTP
import Synchronization
@testable import Confluence

/// A ``RateClock`` that never waits: sleeping moves virtual time to the deadline at once, and
/// ``advance(by:)`` stands for time spent on the wire. Deterministic for one caller at a time.
final class VirtualClock: RateClock {
    private let current = Mutex(Duration.zero)

    var now: Duration { current.withLock { $0 } }

    func sleep(until deadline: Duration) async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        current.withLock { $0 = max($0, deadline) }
    }

    func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }
}

/// The server side of a rate limit, as `scripts/fake_confluence` implements it: a token bucket
/// of `rate` tokens a second holding `burst`, answering with Cloud or Data Center headers.
struct SimulatedBucket {
    enum Dialect { case cloud, dataCenter }

    let rate: Double
    let burst: Int
    var dialect = Dialect.cloud
    /// Seconds a 429 keeps refusing everything (a server whose Retry-After is a penalty, not
    /// the bucket's refill time); 0 for a plain bucket.
    var penalty = 0
    private var tokens: Double
    private var stamp = 0.0
    private var refusingUntil = -Double.infinity

    init(rate: Double, burst: Int, dialect: Dialect = .cloud, penalty: Int = 0) {
        self.rate = rate
        self.burst = burst
        self.dialect = dialect
        self.penalty = penalty
        tokens = Double(burst)
    }

    /// Takes a token at `time` (seconds): the status and the headers the response carries.
    mutating func take(at time: Double) -> (status: Int, headers: HTTPHeaders) {
        tokens = min(Double(burst), tokens + (time - stamp) * rate)
        stamp = time
        var headers: HTTPHeaders = ["X-RateLimit-Limit": String(burst)]
        if dialect == .dataCenter {
            headers.add(name: "X-RateLimit-Interval-Seconds", value: "1")
            headers.add(name: "X-RateLimit-FillRate", value: String(rate))
        }
        if tokens >= 1, time >= refusingUntil {
            tokens -= 1
            let remaining = Int(tokens)
            headers.add(name: "X-RateLimit-Remaining", value: String(remaining))
            if dialect == .cloud, Double(remaining) < 0.2 * Double(burst) {
                headers.add(name: "X-RateLimit-NearLimit", value: "true")
            }
            return (200, headers)
        }
        var wait = Int(((1 - tokens) / rate).rounded(.up))
        if penalty > 0 {
            if time >= refusingUntil { refusingUntil = time + Double(penalty) }
            wait = Int((refusingUntil - time).rounded(.up))
        }
        headers.add(name: "X-RateLimit-Remaining", value: "0")
        if dialect == .cloud { headers.add(name: "X-RateLimit-NearLimit", value: "true") }
        headers.add(name: "Retry-After", value: String(max(1, wait)))
        return (429, headers)
    }
}

/// Figures of one simulated sync.
struct PacingRun {
    var served = 0
    var refused = 0
    var seconds = 0.0
    var achievedRate: Double { Double(served) / seconds }
    var refusedShare: Double { Double(refused) / Double(served + refused) }
}

/// One caller sending requests through `governor` to `bucket` until `duration` of virtual time
/// has passed; each request spends `latency` on the wire and reaches the server halfway.
func simulateSync(
    governor: RateGovernor, clock: VirtualClock, bucket: inout SimulatedBucket,
    duration: Duration, latency: Duration = .milliseconds(40)
) async throws -> PacingRun {
    var run = PacingRun()
    let started = clock.now
    // Bounded: a governor that stopped moving time would otherwise spin forever.
    while clock.now - started < duration, run.served + run.refused < 100_000 {
        let permit = try await governor.acquire()
        clock.advance(by: latency / 2)
        let (status, headers) = bucket.take(at: clock.now.seconds)
        clock.advance(by: latency / 2)
        if status == 429 {
            run.refused += 1
            await governor.release(permit, .throttled(headers))
        } else {
            run.served += 1
            await governor.release(permit, .success(headers))
        }
    }
    run.seconds = (clock.now - started).seconds
    return run
}
