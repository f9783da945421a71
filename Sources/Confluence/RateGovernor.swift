import Foundation
import HTTP

/// Paces every request to one Confluence site: a token bucket for the request rate, a
/// concurrency limit that halves on throttling and grows back one step per window of
/// successes (AIMD), and a shared back-off deadline set by `Retry-After` and friends.
///
/// Create one per site and share it by every call to that site (see ``RateGovernorRegistry``).
/// The back-off deadline is exposed as ``backoffUntil`` and can be seeded with
/// ``seedBackoff(until:)`` so a restart does not hammer a site that asked for a pause.
public actor RateGovernor {
    /// Tuning. Production defaults follow Atlassian's guidance; tests shrink the delays.
    public struct Configuration: Sendable, Equatable {
        /// Sustained request rate; 0 or less means unpaced.
        public var requestsPerSecond: Double
        /// Requests that may go out back to back after an idle period.
        public var burst: Int
        /// Upper bound (and start value) of the concurrency limit.
        public var maxConcurrency: Int
        public var minConcurrency: Int
        /// Retries after 5xx, connection resets and timeouts.
        public var maxRetries: Int
        /// Retries after 429 (each waits for the server's `Retry-After`).
        public var maxThrottleRetries: Int
        /// Back-off for retries: base, cap and jitter range.
        public var backoff: Backoff
        /// Longest `Retry-After` honoured; longer asks are clamped (a misconfigured proxy must
        /// not stall a sync for a day).
        public var maxRetryAfter: Duration

        public init(
            requestsPerSecond: Double = 10,
            burst: Int = 1,
            maxConcurrency: Int = 8,
            minConcurrency: Int = 1,
            maxRetries: Int = 4,
            maxThrottleRetries: Int = 6,
            backoff: Backoff = Backoff(),
            maxRetryAfter: Duration = .seconds(900)
        ) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = max(1, burst)
            self.maxConcurrency = max(1, maxConcurrency)
            self.minConcurrency = max(1, min(minConcurrency, maxConcurrency))
            self.maxRetries = max(0, maxRetries)
            self.maxThrottleRetries = max(0, maxThrottleRetries)
            self.backoff = backoff
            self.maxRetryAfter = maxRetryAfter
        }
    }

    /// How a request went, reported with ``release(_:_:)``.
    public enum Outcome: Sendable {
        /// Any response that is not a throttle or a server error.
        case success(HTTPHeaders)
        /// HTTP 429.
        case throttled(HTTPHeaders)
        /// HTTP 5xx (503 may carry `Retry-After`).
        case serverError(status: Int, HTTPHeaders)
        /// Timeout, reset, refused connection.
        case transportError
        /// Neither success nor failure of the site (e.g. a TLS or size-cap error).
        case neutral
    }

    /// Proof that a request was admitted; hand it back with ``release(_:_:)``.
    public struct Permit: Sendable {
        fileprivate let id: UInt64
    }

    /// Counters for benchmarks and health reports.
    public struct Statistics: Sendable, Equatable {
        public var admitted = 0
        public var throttled = 0
        public var serverErrors = 0
        public var transportErrors = 0
        public var retries = 0
    }

    public nonisolated let configuration: Configuration
    /// Current concurrency limit (AIMD between min and max).
    public private(set) var concurrencyLimit: Int
    /// Current pacing rate: the configured rate, lowered after throttling and regrown.
    public private(set) var effectiveRate: Double
    public private(set) var statistics = Statistics()

    private let clock = ContinuousClock()
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private var inFlight = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    /// Theoretical arrival time of the next request (GCRA form of the token bucket).
    private var theoreticalArrival: ContinuousClock.Instant
    private var backoffInstant: ContinuousClock.Instant?
    private var lastDecrease: ContinuousClock.Instant?
    private var lastNearLimitSlowdown: ContinuousClock.Instant?
    private var lastRateUpdate: ContinuousClock.Instant
    private var successStreak = 0
    private var consecutiveThrottles = 0

    /// - Parameters:
    ///   - backoffUntil: a deadline persisted from a previous run, if any.
    ///   - random: source of jitter factors; tests pass a fixed one.
    public init(
        configuration: Configuration = Configuration(),
        backoffUntil: Date? = nil,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.configuration = configuration
        self.random = random
        concurrencyLimit = configuration.maxConcurrency
        effectiveRate = configuration.requestsPerSecond
        let now = clock.now
        theoreticalArrival = now
        lastRateUpdate = now
        if let backoffUntil, backoffUntil > Date() {
            backoffInstant = now + .seconds(backoffUntil.timeIntervalSinceNow)
        }
    }

    // MARK: Back-off deadline

    /// When requests may resume, if the site asked for a pause; persist it across restarts.
    public var backoffUntil: Date? {
        guard let backoffInstant else { return nil }
        let remaining = backoffInstant - clock.now
        return remaining > .zero ? Date().addingTimeInterval(remaining.seconds) : nil
    }

    /// Restores a deadline saved by a previous run; a past date is ignored.
    public func seedBackoff(until date: Date) {
        let remaining = date.timeIntervalSinceNow
        guard remaining > 0 else { return }
        extendBackoff(to: clock.now + .seconds(remaining))
    }

    // MARK: Admission

    /// Waits for a concurrency slot, the back-off deadline and a token, in that order.
    /// Throws only when the calling task is cancelled.
    public func acquire() async throws(CancellationError) -> Permit {
        try await waitForSlot()
        do {
            try await waitForPacing()
        } catch {
            releaseSlot()
            throw error
        }
        statistics.admitted += 1
        nextID += 1
        return Permit(id: nextID)
    }

    /// Returns the slot and learns from the outcome.
    public func release(_ permit: Permit, _ outcome: Outcome) {
        _ = permit
        // Learn first, so a throttle shrinks the limit before the freed slot is handed on.
        defer { releaseSlot() }
        let now = clock.now
        switch outcome {
        case .success(let headers):
            consecutiveThrottles = 0
            learn(from: RateLimitSignals(headers: headers), now: now)
            grow(now: now)
        case .throttled(let headers):
            statistics.throttled += 1
            consecutiveThrottles += 1
            let signals = RateLimitSignals(headers: headers)
            extendBackoff(to: now + throttleDelay(signals))
            decrease(now: now)
        case .serverError(let status, let headers):
            statistics.serverErrors += 1
            // 503 + Retry-After means "overloaded": the whole site pauses, as for 429.
            if status == 503, let seconds = RateLimitSignals(headers: headers).retryAfter {
                extendBackoff(to: now + min(.seconds(seconds), configuration.maxRetryAfter))
            }
        case .transportError:
            statistics.transportErrors += 1
        case .neutral:
            break
        }
    }

    /// How long to wait before retry number `attempt` after a 5xx or a network failure.
    public func retryDelay(attempt: Int) -> Duration {
        statistics.retries += 1
        return configuration.backoff.delay(attempt: attempt, random: random)
    }

    /// Records a retry that waits on the shared deadline instead of ``retryDelay(attempt:)``.
    public func noteRetry() {
        statistics.retries += 1
    }

    // MARK: Concurrency slots

    private func waitForSlot() async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        if inFlight < concurrencyLimit && waiters.isEmpty {
            inFlight += 1
            return
        }
        nextID += 1
        let id = nextID
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    waiters.append((id, continuation))
                }
            } onCancel: {
                Task { await self.cancelWaiter(id) }
            }
        } catch {
            throw CancellationError()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func releaseSlot() {
        inFlight -= 1
        grantSlots()
    }

    private func grantSlots() {
        while inFlight < concurrencyLimit && !waiters.isEmpty {
            inFlight += 1
            waiters.removeFirst().continuation.resume()
        }
    }

    // MARK: Pacing

    private func waitForPacing() async throws(CancellationError) {
        while true {
            if Task.isCancelled { throw CancellationError() }
            let now = clock.now
            if let until = backoffInstant, until > now {
                try await sleep(until: until)
                continue
            }
            let wait = reserveToken(now: now)
            guard wait > .zero else { return }
            try await sleep(until: now + wait)
            // A throttle seen while we slept moves everyone behind the new deadline.
            if let until = backoffInstant, until > clock.now { continue }
            return
        }
    }

    /// Books the next send time; returns how long until it.
    private func reserveToken(now: ContinuousClock.Instant) -> Duration {
        guard effectiveRate > 0 else { return .zero }
        let interval = Duration.seconds(1 / effectiveRate)
        let tolerance = interval * (configuration.burst - 1)
        let start = max(now, theoreticalArrival - tolerance)
        theoreticalArrival = max(theoreticalArrival, start) + interval
        return start - now
    }

    private func sleep(until instant: ContinuousClock.Instant) async throws(CancellationError) {
        do {
            try await clock.sleep(until: instant, tolerance: .milliseconds(2))
        } catch {
            throw CancellationError()
        }
    }

    // MARK: Learning

    private func throttleDelay(_ signals: RateLimitSignals) -> Duration {
        if let seconds = signals.retryAfter {
            // Retry-After is a minimum; a little upward jitter keeps clients from re-colliding.
            let padded = seconds * random(1.0...1.1)
            return min(.seconds(padded), configuration.maxRetryAfter)
        }
        if let reset = signals.reset, reset.timeIntervalSinceNow > 0 {
            return min(.seconds(reset.timeIntervalSinceNow), configuration.maxRetryAfter)
        }
        // Gateway-style 429 without hints: exponential back-off over consecutive throttles.
        return configuration.backoff.delay(attempt: consecutiveThrottles, random: random)
    }

    private func extendBackoff(to instant: ContinuousClock.Instant) {
        if backoffInstant.map({ instant > $0 }) ?? true { backoffInstant = instant }
        // Requests booked after the pause are spread at the rate, not released at once.
        theoreticalArrival = max(theoreticalArrival, instant)
    }

    private func learn(from signals: RateLimitSignals, now: ContinuousClock.Instant) {
        if let serverRate = signals.serverRate, serverRate < effectiveRate {
            // Data Center announces its fill rate: stay just under it.
            effectiveRate = serverRate * 0.95
            lastRateUpdate = now
        }
        if signals.nearLimit {
            slowDown(factor: 0.9, now: now)
        }
        if signals.remaining == 0, effectiveRate > 0 {
            extendBackoff(to: now + .seconds(1 / effectiveRate))
        }
    }

    /// Multiplicative decrease, at most once per cooldown so one burst of 429s counts once.
    private func decrease(now: ContinuousClock.Instant) {
        if let last = lastDecrease, now - last < .seconds(1) { return }
        lastDecrease = now
        concurrencyLimit = max(configuration.minConcurrency, concurrencyLimit / 2)
        successStreak = 0
        slowDown(factor: 0.75, now: now, force: true)
    }

    private func slowDown(factor: Double, now: ContinuousClock.Instant, force: Bool = false) {
        guard configuration.requestsPerSecond > 0 else { return }
        if !force {
            if let last = lastNearLimitSlowdown, now - last < .seconds(1) { return }
            lastNearLimitSlowdown = now
        }
        effectiveRate = max(configuration.requestsPerSecond * 0.1, effectiveRate * factor)
        lastRateUpdate = now
    }

    /// Additive increase: one more slot per window of successes, and the rate regrows by
    /// 5 % of the configured rate per second without trouble.
    private func grow(now: ContinuousClock.Instant) {
        successStreak += 1
        if successStreak >= concurrencyLimit {
            successStreak = 0
            if concurrencyLimit < configuration.maxConcurrency {
                concurrencyLimit += 1
                grantSlots()
            }
        }
        let configured = configuration.requestsPerSecond
        if configured > 0, effectiveRate < configured {
            let elapsed = (now - lastRateUpdate).seconds
            effectiveRate = min(configured, effectiveRate + configured * 0.05 * elapsed)
        }
        lastRateUpdate = now
    }
}
