import FakeConfluenceSupport
import Foundation
import Testing
@testable import Confluence

/// The real client and governor against `scripts/fake-confluence --rate-limit 2 --burst 2`, a
/// token bucket that sends `X-RateLimit-Limit/-Remaining/-NearLimit` and a whole-second
/// `Retry-After`, with no rate configured (the daemon's default 10 req/s ceiling).
@Suite("Rate limit against the fake", .serialized)
struct RateLimitEndToEndTests {
    static let email = "pace-bot@example.com"
    static let token = "ATATT3xFfGF0-pace-secret-token"

    @Test func syncUnderABurstLimitSeesTheLimitComing() async throws {
        let rate = 2.0
        let args = ["--generate", "48", "--seed", "3", "--email", Self.email, "--token", Self.token,
                    "--rate-limit", String(rate), "--burst", "2", "--no-prewarm"]
        try await FakeConfluence.with(args, maxSeconds: 120) { fake in
            let governor = RateGovernor(configuration: .init())
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/GEN/overview")
            // Let the bucket fill after the fake's start, then count from a clean slate.
            try await Task.sleep(for: .seconds(1.1))
            try await fake.resetStats()
            let started = ContinuousClock.now
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .apiToken(email: Self.email, token: Self.token), governor: governor,
                options: .init(pageLimit: 5, idsPerRequest: 4))
            let ids = try await client.pages(in: space).collect().map(\.id)
            let bodies = try await client.pages(ids: ids)
            let elapsed = (ContinuousClock.now - started).seconds
            #expect(bodies.count == ids.count)

            let stats = try await fake.stats()
            let requests = try #require(stats["requests"] as? Int)
            let refused = try #require(stats["rateLimited"] as? Int)
            let achieved = Double(requests - refused) / elapsed
            print("fake --rate-limit 2 --burst 2: \(requests) requests in \(elapsed) s, \(refused) answered 429 "
                  + "(\(Double(refused) / Double(requests) * 100) %), achieved \(achieved) req/s = \(achieved / rate) of R; "
                  + "learnt \(await governor.learnedRate ?? 0) req/s")
            #expect(elapsed >= 10)
            #expect(Double(refused) <= 0.02 * Double(requests))
            // Generous for a loaded machine: the strict figure is in `scripts/bench confluence`.
            #expect(achieved >= 0.85 * rate)
            #expect(achieved <= rate + 2 / elapsed + 0.05)
        }
    }
}
