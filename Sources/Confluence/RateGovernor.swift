import Foundation
import HTTP

/// Paces every request to one Confluence site: a token bucket for the configured rate (a
/// ceiling), an estimate of the server's own bucket learnt from its `X-RateLimit-*` headers
/// (``BucketEstimate``: a request goes only when the server surely has a token for it), a
/// concurrency limit that halves on throttling and grows back one step per window of
/// successes (AIMD), and a shared back-off deadline set by `Retry-After` and friends.
///
/// Create one per site and share it by every call to that site (see ``RateGovernorRegistry``).
/// The back-off deadline is exposed as ``backoffUntil`` and can be seeded with
/// ``seedBackoff(until:)`` so a restart does not hammer a site that asked for a pause; the rate
/// the server is known to allow is exposed as ``learnedRate`` and seeded with
/// ``seedLearnedRate(_:)`` so a restart paces right from its first request.
/// Time comes from an injected ``RateClock``.
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
        /// The refill rate assumed for a server that sends `X-RateLimit-Remaining` but not its
        /// rate, until its answers show a faster one (or a 429 a slower one, which halves it).
        public var assumedServerRate: Double

        public init(
            requestsPerSecond: Double = 10,
            burst: Int = 1,
            maxConcurrency: Int = 8,
            minConcurrency: Int = 1,
            maxRetries: Int = 4,
            maxThrottleRetries: Int = 6,
            backoff: Backoff = Backoff(),
            maxRetryAfter: Duration = .seconds(900),
            assumedServerRate: Double = 1
        ) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = max(1, burst)
            self.maxConcurrency = max(1, maxConcurrency)
            self.minConcurrency = max(1, min(minConcurrency, maxConcurrency))
            self.maxRetries = max(0, maxRetries)
            self.maxThrottleRetries = max(0, maxThrottleRetries)
            self.backoff = backoff
            self.maxRetryAfter = maxRetryAfter
            self.assumedServerRate = max(BucketEstimate.slowestRate, assumedServerRate)
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
        /// When the request was let go (the server takes its token after this).
        fileprivate let sentAt: Duration
        /// How many answers had come when it was let go.
        fileprivate let answersBefore: UInt64
    }

    /// An admission that waits longer than the caller's threshold: until when, and why.
    public struct AdmissionWait: Sendable, Equatable {
        /// When the request may go, on the wall clock.
        public var until: Date
        /// In words, e.g. "HTTP 429 with Retry-After 900 s". Never a secret.
        public var reason: String

        public init(until: Date, reason: String) {
            self.until = until
            self.reason = reason
        }
    }

    /// Where ``acquire(reportingWaitsOver:_:)`` tells of its long waits.
    private struct WaitListener {
        let threshold: Duration
        let report: @Sendable (AdmissionWait) -> Void
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

    private let clock: any RateClock
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private var inFlight = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    /// Theoretical arrival time of the next request (GCRA form of the configured token bucket).
    private var theoreticalArrival: Duration
    private var backoffInstant: Duration?
    /// Why the back-off deadline is where it is, for wait reports.
    private var backoffReason = RateGovernor.restoredPauseReason
    private var lastDecrease: Duration?
    private var lastNearLimitSlowdown: Duration?
    private var lastRateUpdate: Duration
    private var successStreak = 0
    private var consecutiveThrottles = 0
    /// The server's bucket as its headers describe it.
    private var estimate: BucketEstimate
    /// Permits let go and not yet released, by id (ids grow in sending order).
    private var unanswered: Set<UInt64> = []
    private var answers: UInt64 = 0
    /// Whether a 429's whole-second `Retry-After` may be cut short by the estimate; off for good
    /// once cutting it short drew another 429.
    private var resumesEarly = true
    private var resumedEarly = false

    /// - Parameters:
    ///   - backoffUntil: a deadline persisted from a previous run, if any.
    ///   - learnedRate: the server's rate learnt by a previous run, if any.
    ///   - clock: the time source; tests pass a virtual one.
    ///   - random: source of jitter factors; tests pass a fixed one.
    public init(
        configuration: Configuration = Configuration(),
        backoffUntil: Date? = nil,
        learnedRate: Double? = nil,
        clock: any RateClock = ContinuousRateClock(),
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.configuration = configuration
        self.clock = clock
        self.random = random
        concurrencyLimit = configuration.maxConcurrency
        effectiveRate = configuration.requestsPerSecond
        var floor = configuration.assumedServerRate
        if configuration.requestsPerSecond > 0 { floor = min(floor, configuration.requestsPerSecond) }
        estimate = BucketEstimate(floor: floor)
        if let learnedRate { estimate.assume(atLeast: learnedRate) }
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
        // The clock has no calendar: the deadline is carried over to the wall clock.
        let remaining = backoffInstant - clock.now
        return remaining > .zero ? Date().addingTimeInterval(remaining.seconds) : nil
    }

    /// Restores a deadline saved by a previous run; a past date is ignored.
    public func seedBackoff(until date: Date) {
        let remaining = date.timeIntervalSinceNow
        guard remaining > 0 else { return }
        extendBackoff(to: clock.now + .seconds(remaining), reason: Self.restoredPauseReason)
    }

    // MARK: Learned rate

    /// The refill rate (requests per second) the server is known to allow, from its headers;
    /// nil until a response carried them. Persist it per site across restarts.
    public var learnedRate: Double? { estimate.learnedRate }

    /// Starts from a rate learnt by a previous run instead of the assumed one.
    public func seedLearnedRate(_ rate: Double) {
        estimate.assume(atLeast: rate)
    }

    // MARK: Admission

    /// Waits for a concurrency slot, the back-off deadline and a token, in that order.
    /// Throws only when the calling task is cancelled.
    public func acquire() async throws(CancellationError) -> Permit {
        try await admit(nil)
    }

    /// ``acquire()``, telling `report` of each wait longer than `threshold` as it starts (the
    /// site's pause, pacing to its rate limit or the configured rate), so a caller can say why
    /// it waits and until when. `report` runs on the governor: it must be quick.
    public func acquire(
        reportingWaitsOver threshold: Duration, _ report: @escaping @Sendable (AdmissionWait) -> Void
    ) async throws(CancellationError) -> Permit {
        try await admit(WaitListener(threshold: threshold, report: report))
    }

    private func admit(_ listener: WaitListener?) async throws(CancellationError) -> Permit {
        try await waitForSlot(listener)
        do {
            try await waitForPacing(listener)
        } catch {
            releaseSlot()
            throw error
        }
        statistics.admitted += 1
        nextID += 1
        unanswered.insert(nextID)
        return Permit(id: nextID, sentAt: clock.now, answersBefore: answers)
    }

    /// Returns the slot and learns from the outcome.
    public func release(_ permit: Permit, _ outcome: Outcome) {
        // Learn first, so a throttle shrinks the limit before the freed slot is handed on.
        defer { releaseSlot() }
        let now = clock.now
        let wasEarly = resumedEarly
        resumedEarly = false
        switch outcome {
        case .success(let headers):
            consecutiveThrottles = 0
            let signals = RateLimitSignals(headers: headers)
            observe(permit, signals.remaining.map { .took(remaining: $0) } ?? .took(remaining: nil), signals, now: now)
            learn(from: signals, now: now)
            grow(now: now)
        case .throttled(let headers):
            statistics.throttled += 1
            consecutiveThrottles += 1
            let signals = RateLimitSignals(headers: headers)
            let assumed = estimate.floor
            observe(permit, .refused, signals, now: now)
            // A 429 that disproves the assumed rate leaves only a guess: wait as asked.
            let guessing = estimate.floor < assumed
            // Cutting the pause short drew another 429: this server means its Retry-After.
            if wasEarly { resumesEarly = false }
            extendBackoff(to: resumeTime(after: permit, signals, now: now, guessing: guessing),
                          reason: pauseReason(status: 429, signals))
            decrease(now: now, slowing: !estimate.isActive)
        case .serverError(let status, let headers):
            statistics.serverErrors += 1
            let signals = RateLimitSignals(headers: headers)
            observe(permit, .unknown, signals, now: now)
            // 503 + Retry-After means "overloaded": the whole site pauses, as for 429.
            if status == 503, let seconds = signals.retryAfter {
                extendBackoff(to: now + min(.seconds(seconds), configuration.maxRetryAfter),
                              reason: pauseReason(status: status, signals))
            }
        case .transportError:
            statistics.transportErrors += 1
            observe(permit, .unknown, nil, now: now)
        case .neutral:
            observe(permit, .unknown, nil, now: now)
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

    private func waitForSlot(_ listener: WaitListener?) async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        if inFlight < concurrencyLimit && waiters.isEmpty {
            inFlight += 1
            return
        }
        // The slots are held by requests waiting out the site's pause: so is this one.
        if let until = backoffInstant { tell(listener, until: until, backoffReason) }
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

    /// Waits until the back-off deadline has passed, the server's bucket surely has a token
    /// and the configured rate allows a request; books the request only then, so waiters
    /// woken together re-check one after the other.
    private func waitForPacing(_ listener: WaitListener?) async throws(CancellationError) {
        while true {
            if Task.isCancelled { throw CancellationError() }
            let now = clock.now
            if let until = backoffInstant, until > now {
                tell(listener, until: until, backoffReason)
                try await clock.sleep(until: until)
                continue
            }
            if estimate.isActive {
                guard let ready = estimate.readyTime(inFlight: unanswered.count) else {
                    // More requests in flight than the bucket holds: wait for answers.
                    try await clock.sleep(until: now + Self.answerPoll)
                    continue
                }
                // Compared as Durations: a Double round trip must not leave `now` a hair short.
                if ready.isFinite, Duration.seconds(ready) > now {
                    tell(listener, until: .seconds(ready), "pacing to the site's rate limit (its X-RateLimit headers)")
                    try await clock.sleep(until: .seconds(ready))
                    continue
                }
            }
            let wait = ceilingWait(now: now)
            if wait > .zero {
                tell(listener, until: now + wait, "pacing at \(Self.format(effectiveRate)) requests/s (the configured rate limit)")
                try await clock.sleep(until: now + wait)
                continue
            }
            bookCeiling(now: now)
            return
        }
    }

    private static let answerPoll = Duration.milliseconds(10)

    static let restoredPauseReason = "a pause the site asked for before a restart"

    /// Reports a wait until `instant` when it is longer than the listener's threshold.
    private func tell(_ listener: WaitListener?, until instant: Duration, _ reason: String) {
        guard let listener else { return }
        let remaining = instant - clock.now
        guard remaining > listener.threshold else { return }
        // The clock has no calendar: the instant is carried over to the wall clock.
        listener.report(AdmissionWait(until: Date().addingTimeInterval(remaining.seconds), reason: reason))
    }

    /// Why a throttle or an overload pauses the site, e.g. "HTTP 429 with Retry-After 900 s".
    private func pauseReason(status: Int, _ signals: RateLimitSignals) -> String {
        if let seconds = signals.retryAfter {
            let asked = "HTTP \(status) with Retry-After \(Self.format(seconds)) s"
            let cap = configuration.maxRetryAfter.seconds
            return seconds > cap ? asked + " (capped at \(Self.format(cap)) s)" : asked
        }
        if signals.reset != nil { return "HTTP \(status) until its rate limit resets (X-RateLimit-Reset)" }
        return "HTTP \(status) without Retry-After (backing off)"
    }

    /// A number of seconds or a rate, without a trailing ".0".
    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3g", value)
    }

    /// How long until the configured rate allows the next request.
    private func ceilingWait(now: Duration) -> Duration {
        guard effectiveRate > 0 else { return .zero }
        let interval = Duration.seconds(1 / effectiveRate)
        let tolerance = interval * (configuration.burst - 1)
        return max(.zero, theoreticalArrival - tolerance - now)
    }

    private func bookCeiling(now: Duration) {
        guard effectiveRate > 0 else { return }
        theoreticalArrival = max(theoreticalArrival, now) + .seconds(1 / effectiveRate)
    }

    // MARK: Learning

    /// Feeds one answer to the estimate of the server's bucket.
    private func observe(_ permit: Permit, _ event: BucketEstimate.Event, _ signals: RateLimitSignals?, now: Duration) {
        unanswered.remove(permit.id)
        let meanwhile = Int(answers - permit.answersBefore)
        answers += 1
        let describesBucket = signals.map { $0.remaining != nil || $0.serverRate != nil } ?? false
        guard describesBucket || estimate.isActive else { return }
        let time = (permit.sentAt.seconds + now.seconds) / 2
        estimate.observe(event, limit: signals?.limit, announced: signals?.serverRate, at: time,
                         spread: (now - permit.sentAt).seconds / 2, unanswered: unanswered.count, answeredMeanwhile: meanwhile)
    }

    /// When to resume after a 429. A whole-second `Retry-After` of n is the server's wait rounded
    /// up, so the real wait is over n-1 seconds from when the request reached it: resume when the
    /// estimate says a token is back, but not before n-1 seconds nor after n.
    private func resumeTime(after permit: Permit, _ signals: RateLimitSignals, now: Duration, guessing: Bool) -> Duration {
        let asked = now + throttleDelay(signals)
        guard resumesEarly, !guessing, estimate.isActive, let seconds = signals.retryAfter, seconds >= 1,
              seconds == seconds.rounded(), seconds <= configuration.maxRetryAfter.seconds,
              let ready = estimate.readyTime(inFlight: unanswered.count) else { return asked }
        let earliest = permit.sentAt.seconds + seconds - 1
        let resume = min(Duration.seconds(max(earliest, ready)), asked)
        if resume < asked { resumedEarly = true }
        return resume
    }

    private func throttleDelay(_ signals: RateLimitSignals) -> Duration {
        if let seconds = signals.retryAfter {
            // Retry-After is a minimum; a little upward jitter keeps clients from re-colliding
            // (not needed when the server's bucket is tracked: every caller waits on it).
            let padded = estimate.isActive ? seconds : seconds * random(1.0...1.1)
            return min(.seconds(padded), configuration.maxRetryAfter)
        }
        if let reset = signals.reset, reset.timeIntervalSinceNow > 0 {
            return min(.seconds(reset.timeIntervalSinceNow), configuration.maxRetryAfter)
        }
        // Gateway-style 429 without hints: exponential back-off over consecutive throttles.
        return configuration.backoff.delay(attempt: consecutiveThrottles, random: random)
    }

    private func extendBackoff(to instant: Duration, reason: String) {
        if backoffInstant.map({ instant > $0 }) ?? true {
            backoffInstant = instant
            backoffReason = reason
        }
        // Requests booked after the pause are spread at the rate, not released at once.
        theoreticalArrival = max(theoreticalArrival, instant)
    }

    /// `NearLimit` without `Remaining` (a quota the estimate cannot follow) slows the configured
    /// pace; with `Remaining`, the estimate already waits for tokens.
    private func learn(from signals: RateLimitSignals, now: Duration) {
        if signals.nearLimit, signals.remaining == nil {
            slowDown(factor: 0.9, now: now)
        }
    }

    /// Multiplicative decrease, at most once per cooldown so one burst of 429s counts once.
    /// The configured pace slows too unless the server's bucket is tracked.
    private func decrease(now: Duration, slowing: Bool) {
        if let last = lastDecrease, now - last < .seconds(1) { return }
        lastDecrease = now
        concurrencyLimit = max(configuration.minConcurrency, concurrencyLimit / 2)
        successStreak = 0
        if slowing { slowDown(factor: 0.75, now: now, force: true) }
    }

    private func slowDown(factor: Double, now: Duration, force: Bool = false) {
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
    private func grow(now: Duration) {
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
