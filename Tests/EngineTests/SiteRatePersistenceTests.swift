import Confluence
import FakeConfluenceSupport
import Foundation
import HTTP
import Logging
import Storage
import Testing
@testable import Engine

/// The rate a site's server was seen to allow survives a restart, beside its back-off deadline.
@Suite("Learnt site rate persistence")
struct SiteRatePersistenceTests {
    @Test func learntRateIsStoredPerSiteAndSeedsTheNextStart() async throws {
        try await EngineHarness.with(["--generate", "30", "--rate-limit", "5", "--burst", "3"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            // The labels are surveyed after ready, by the same job: its last requests.
            try await harness.waitForLabels("gen")
            let site = try SpaceLocation.parse(harness.fake.origin + "/wiki/spaces/GEN").site
            let governor = harness.engine.parts.access.governors.governor(for: site)
            // Saved after each job, off the engine's executor; a later job (the attachment sweep,
            // the label refresh) may learn more and save again: wait (bounded) until the stored
            // rate is the governor's.
            let deadline = Date().addingTimeInterval(10)
            var stored: Int64?
            var learnt: Double?
            while Date() < deadline {
                learnt = await governor.learnedRate
                stored = try harness.temporary.store.read { try $0.get(harness.engine.parts.tables.siteRate, site.origin) }
                if let learnt, let stored, abs(Double(stored) / 1_000 - learnt) < 0.002 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let rate = try #require(learnt)
            #expect(rate > 0 && rate <= 5)
            let millis = try #require(stored)
            #expect(abs(Double(millis) / 1_000 - rate) < 0.002)
            await harness.engine.stop()

            let restarted = try harness.restartedEngine()
            try await restarted.start()
            let seeded = restarted.parts.access.governors.governor(for: site)
            // Until the first response, the seeded rate is all the new governor knows.
            #expect(await seeded.learnedRate == nil)
            let permit = try await seeded.acquire()
            await seeded.release(permit, .success(["X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2"]))
            let after = try #require(await seeded.learnedRate)
            #expect(after >= Double(millis) / 1_000 - 0.001)
            await restarted.stop()
        }
    }
}
