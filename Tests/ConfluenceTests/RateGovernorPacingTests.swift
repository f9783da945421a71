import Foundation
import HTTP
import Testing
@testable import Confluence

/// The governor against a simulated token bucket, in virtual time: no sleeps, same result on
/// every run.
@Suite("RateGovernor pacing")
struct RateGovernorPacingTests {
    /// The daemon's shape when no `rate_limit` is configured: the default 10 req/s ceiling.
    static let unconfigured = RateGovernor.Configuration()
    /// No ceiling at all: the headers alone pace.
    static let unpaced = RateGovernor.Configuration(requestsPerSecond: 0)

    @Test(arguments: [
        (rate: 2.0, burst: 2, unpaced: false), (rate: 2.0, burst: 2, unpaced: true),
        (rate: 10.0, burst: 20, unpaced: false), (rate: 10.0, burst: 20, unpaced: true),
        (rate: 20.0, burst: 5, unpaced: true),
    ])
    func cloudHeadersPaceBeforeAny429(rate: Double, burst: Int, unpaced: Bool) async throws {
        let clock = VirtualClock()
        let governor = RateGovernor(configuration: unpaced ? Self.unpaced : Self.unconfigured, clock: clock)
        var bucket = SimulatedBucket(rate: rate, burst: burst)
        let run = try await simulateSync(governor: governor, clock: clock, bucket: &bucket, duration: .seconds(12))
        let ceiling = unpaced ? Double.infinity : 10
        let allowed = min(rate, ceiling)
        print("R=\(rate) burst=\(burst) ceiling=\(ceiling): \(run.served) served, \(run.refused) refused "
              + "(\(run.refusedShare * 100) %), achieved \(run.achievedRate) req/s = \(run.achievedRate / allowed) of the limit")
        #expect(run.seconds >= 10)
        #expect(run.refusedShare <= 0.02)
        #expect(run.achievedRate >= 0.9 * allowed)
        let learned = try #require(await governor.learnedRate)
        // A safe lower bound of the server's rate (what a restart starts from).
        #expect(learned <= rate * 1.0001)
        if rate <= ceiling, rate >= 1 { #expect(learned >= 0.6 * rate) }
    }

    @Test func dataCenterAnnouncedRateIsFollowedExactly() async throws {
        let clock = VirtualClock()
        let governor = RateGovernor(configuration: Self.unpaced, clock: clock)
        var bucket = SimulatedBucket(rate: 5, burst: 10, dialect: .dataCenter)
        let run = try await simulateSync(governor: governor, clock: clock, bucket: &bucket, duration: .seconds(12))
        #expect(run.refused == 0)
        #expect(run.achievedRate >= 0.97 * 5)
        #expect(await governor.learnedRate == 5)
    }

    /// Learns a bucket of 2 at 2 req/s, then another client empties it: the governor's next
    /// request draws a 429. Returns the requests after that, with their times and Retry-After.
    static func afterAStolenBucket(penalty: Int, count: Int) async throws -> [(time: Double, status: Int, retryAfter: Int?)] {
        let clock = VirtualClock()
        let governor = RateGovernor(configuration: Self.unpaced, clock: clock)
        var bucket = SimulatedBucket(rate: 2, burst: 2, penalty: penalty)
        let warmUp = try await simulateSync(governor: governor, clock: clock, bucket: &bucket, duration: .seconds(5), latency: .zero)
        #expect(warmUp.refused == 0)
        var log: [(time: Double, status: Int, retryAfter: Int?)] = []
        var stolen = false
        while log.count < count {
            let permit = try await governor.acquire()
            if !stolen {
                stolen = true
                _ = bucket.take(at: clock.now.seconds)
                _ = bucket.take(at: clock.now.seconds)
            }
            let (status, headers) = bucket.take(at: clock.now.seconds)
            log.append((clock.now.seconds, status, headers["Retry-After"].flatMap { Int($0) }))
            await governor.release(permit, status == 429 ? .throttled(headers) : .success(headers))
        }
        return log
    }

    @Test func wholeSecondRetryAfterIsCutShortByTheLearnedRate() async throws {
        let log = try await Self.afterAStolenBucket(penalty: 0, count: 8)
        #expect(log.filter { $0.status == 429 }.count == 1)
        let throttled = try #require(log.firstIndex { $0.status == 429 })
        #expect(log[throttled].retryAfter == 1)
        // "Retry-After: 1" is a wait of 0.5 s at most, rounded up: the retry goes as soon as a
        // token is back at the learnt rate, not a whole second later.
        let pause = log[throttled + 1].time - log[throttled].time
        #expect(pause > 0.4 && pause <= 0.6)
        #expect(log[throttled + 1].status == 200)
    }

    @Test func retryAfterIsHonouredInFullWhenCuttingItShortFails() async throws {
        // This server refuses everything for 3 s after a 429, whatever its bucket holds.
        let log = try await Self.afterAStolenBucket(penalty: 3, count: 10)
        let refusals = log.indices.filter { log[$0].status == 429 }
        // The second refusal (after an early resume) turns early resumes off: the whole
        // Retry-After is waited from then on, and no third refusal follows.
        #expect(refusals.count == 2)
        let second = try #require(refusals.last)
        let asked = Double(try #require(log[second].retryAfter))
        #expect(log[second + 1].time - log[second].time >= asked - 1e-9)
        #expect(log[second + 1].status == 200)
    }

    @Test func learnedRateSeedsTheNextRun() async throws {
        let clock = VirtualClock()
        let first = RateGovernor(configuration: Self.unpaced, clock: clock)
        var bucket = SimulatedBucket(rate: 3, burst: 3)
        _ = try await simulateSync(governor: first, clock: clock, bucket: &bucket, duration: .seconds(10))
        let learned = try #require(await first.learnedRate)
        #expect(learned >= 2 && learned <= 3)

        // A restart: the same server, a fresh governor seeded through the registry.
        func firstSeconds(seed: Double?) async throws -> PacingRun {
            let clock = VirtualClock()
            let registry = RateGovernorRegistry(clock: clock) { _ in Self.unpaced }
            let site = try SpaceLocation.parse("https://example.atlassian.net/wiki/spaces/DOC").site
            if let seed { registry.seedLearnedRate(origin: site.origin, rate: seed) }
            var bucket = SimulatedBucket(rate: 3, burst: 3)
            return try await simulateSync(
                governor: registry.governor(for: site), clock: clock, bucket: &bucket, duration: .seconds(3))
        }
        let fresh = try await firstSeconds(seed: nil)
        let seeded = try await firstSeconds(seed: learned)
        #expect(seeded.refused == 0)
        #expect(seeded.served > fresh.served)
        #expect(seeded.achievedRate >= 0.9 * 3)
    }

    @Test func estimateDropsRatesTheHeadersContradict() throws {
        var estimate = BucketEstimate(floor: 1)
        #expect(!estimate.isActive)
        // A bucket of 4 at 2 tokens/s, read exactly at 0, 0.25, 0.5 and 1 s.
        estimate.observe(.took(remaining: 3), limit: 4, announced: nil, at: 0, spread: 0)
        estimate.observe(.took(remaining: 2), limit: 4, announced: nil, at: 0, spread: 0)
        estimate.observe(.took(remaining: 1), limit: 4, announced: nil, at: 0, spread: 0)
        estimate.observe(.took(remaining: 0), limit: 4, announced: nil, at: 0, spread: 0)
        let ready = try #require(estimate.readyTime(inFlight: 0))
        #expect(ready >= 1 && ready <= 1.031)  // the assumed 1 token/s, to a cell's width
        #expect(estimate.readyTime(inFlight: 4) == nil)  // the bucket cannot hold 5
        estimate.observe(.took(remaining: 1), limit: 4, announced: nil, at: 1, spread: 0)  // 2 tokens came in 1 s
        let learned = try #require(estimate.learnedRate)
        #expect(learned > 1.9 && learned <= 2)
        // A full bucket right after "1 left" contradicts every rate: it starts over from it.
        estimate.observe(.took(remaining: 3), limit: 4, announced: nil, at: 1, spread: 0)
        #expect(estimate.isActive)
        #expect(estimate.readyTime(inFlight: 2) ?? 1 < 1)
    }
}
