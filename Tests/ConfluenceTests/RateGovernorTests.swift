import Foundation
import HTTP
import Testing
@testable import Confluence

@Suite("RateGovernor")
struct RateGovernorTests {
    @Test func retryAfterBothFormsAndRateLimitHeaders() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RateLimitSignals(headers: ["Retry-After": "5"], now: now).retryAfter == 5)
        let date = try #require(RetryAfter.httpDate("Tue, 14 Nov 2023 22:13:40 GMT"))
        let inTwenty = RateLimitSignals(headers: ["Retry-After": "Tue, 14 Nov 2023 22:14:00 GMT"], now: date)
        #expect(inTwenty.retryAfter == 20)
        let cloud = RateLimitSignals(headers: [
            "X-RateLimit-Remaining": "3", "X-RateLimit-NearLimit": "true", "X-RateLimit-Reset": "2023-11-14T22:15Z",
        ])
        #expect(cloud.remaining == 3)
        #expect(cloud.nearLimit)
        #expect(cloud.reset == date.addingTimeInterval(80))
        let dc = RateLimitSignals(headers: ["X-RateLimit-FillRate": "20", "X-RateLimit-Interval-Seconds": "2"])
        #expect(dc.serverRate == 10)
        #expect(RateLimitSignals(headers: [:]).retryAfter == nil)
    }

    @Test func jitterStaysWithinBounds() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(100))
        #expect(backoff.delay(attempt: 1, random: { $0.lowerBound }) == .seconds(0.7))
        #expect(backoff.delay(attempt: 1, random: { $0.upperBound }) == .seconds(1.3))
        #expect(backoff.delay(attempt: 4, random: { _ in 1 }) == .seconds(8))
        #expect(backoff.delay(attempt: 30, random: { _ in 1 }) == .seconds(100))
        for attempt in 1...6 {
            let nominal = Double(1 << (attempt - 1))
            for _ in 0..<200 {
                let seconds = backoff.delay(attempt: attempt).seconds
                #expect(seconds >= nominal * 0.7 - 1e-9 && seconds <= nominal * 1.3 + 1e-9)
            }
        }
    }

    @Test func aimdHalvesOnThrottleAndGrowsBack() async throws {
        let governor = RateGovernor(configuration: .fast(rate: 0))
        #expect(await governor.concurrencyLimit == 8)
        var permit = try await governor.acquire()
        await governor.release(permit, .throttled(["Retry-After": "0"]))
        #expect(await governor.concurrencyLimit == 4)
        // A second 429 from the same burst does not halve again.
        permit = try await governor.acquire()
        await governor.release(permit, .throttled(["Retry-After": "0"]))
        #expect(await governor.concurrencyLimit == 4)
        // One more slot per window of `limit` successes: 4 → 5 after 4, → 6 after 5 more.
        for _ in 0..<4 {
            permit = try await governor.acquire()
            await governor.release(permit, .success([:]))
        }
        #expect(await governor.concurrencyLimit == 5)
        for _ in 0..<200 {
            permit = try await governor.acquire()
            await governor.release(permit, .success([:]))
        }
        #expect(await governor.concurrencyLimit == 8)
        #expect(await governor.statistics.throttled == 2)
    }

    @Test func throttlingLowersTheRateWhichThenRecovers() async throws {
        let governor = RateGovernor(configuration: .fast(rate: 1000))
        let permit = try await governor.acquire()
        await governor.release(permit, .throttled(["Retry-After": "0"]))
        let lowered = await governor.effectiveRate
        #expect(lowered == 750)
        try await Task.sleep(for: .milliseconds(300))
        let next = try await governor.acquire()
        await governor.release(next, .success([:]))
        #expect(await governor.effectiveRate > lowered)
    }

    @Test func concurrencyLimitIsEnforced() async throws {
        let governor = RateGovernor(configuration: .init(requestsPerSecond: 0, maxConcurrency: 2))
        let gauge = Gauge()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let permit = try await governor.acquire()
                    await gauge.enter()
                    try await Task.sleep(for: .milliseconds(50))
                    await gauge.leave()
                    await governor.release(permit, .success([:]))
                }
            }
            try await group.waitForAll()
        }
        #expect(await gauge.peak == 2)
    }

    @Test func tokenBucketPacesRequests() async throws {
        let governor = RateGovernor(configuration: .init(requestsPerSecond: 50, burst: 1))
        let started = ContinuousClock.now
        for _ in 0..<11 {
            let permit = try await governor.acquire()
            await governor.release(permit, .success([:]))
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(190))  // 10 intervals of 20 ms
        #expect(elapsed < .seconds(1.5))
    }

    @Test func backoffDeadlineIsSeededExposedAndHonoured() async throws {
        let governor = RateGovernor(configuration: .fast(), backoffUntil: Date().addingTimeInterval(0.3))
        let exposed = try #require(await governor.backoffUntil)
        #expect(exposed.timeIntervalSinceNow > 0.1 && exposed.timeIntervalSinceNow <= 0.31)
        let started = ContinuousClock.now
        let permit = try await governor.acquire()
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        await governor.release(permit, .success([:]))
        #expect(await governor.backoffUntil == nil)
        await governor.seedBackoff(until: Date().addingTimeInterval(-5))
        #expect(await governor.backoffUntil == nil)
        await governor.seedBackoff(until: Date().addingTimeInterval(60))
        #expect(try #require(await governor.backoffUntil).timeIntervalSinceNow > 59)
    }

    @Test func retryAfterOn429And503SetsTheSharedDeadline() async throws {
        let governor = RateGovernor(configuration: .init(maxRetryAfter: .seconds(30)), random: { $0.lowerBound })
        var permit = try await governor.acquire()
        await governor.release(permit, .throttled(["Retry-After": "2"]))
        let after429 = try #require(await governor.backoffUntil).timeIntervalSinceNow
        #expect(after429 > 1.5 && after429 <= 2.05)

        let other = RateGovernor(configuration: .init(maxRetryAfter: .seconds(30)))
        permit = try await other.acquire()
        await other.release(permit, .serverError(status: 503, ["Retry-After": "3"]))
        let after503 = try #require(await other.backoffUntil).timeIntervalSinceNow
        #expect(after503 > 2.5 && after503 <= 3.05)
        // Retry-After beyond the cap is clamped.
        let clamped = RateGovernor(configuration: .init(maxRetryAfter: .seconds(30)))
        permit = try await clamped.acquire()
        await clamped.release(permit, .throttled(["Retry-After": "99999"]))
        #expect(try #require(await clamped.backoffUntil).timeIntervalSinceNow <= 30.5)
    }

    @Test func cancelledWaiterGivesUpItsPlace() async throws {
        let governor = RateGovernor(configuration: .init(requestsPerSecond: 0, maxConcurrency: 1))
        let held = try await governor.acquire()
        let waiter = Task { try await governor.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let result = await waiter.result
        #expect(throws: CancellationError.self) { try result.get() }
        await governor.release(held, .success([:]))
        let next = try await governor.acquire()
        await governor.release(next, .success([:]))
    }
}

/// Counts how many tasks are inside a section at once.
actor Gauge {
    private(set) var peak = 0
    private var current = 0
    func enter() {
        current += 1
        peak = max(peak, current)
    }
    func leave() { current -= 1 }
}
