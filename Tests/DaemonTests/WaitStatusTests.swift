import FakeConfluenceSupport
import Foundation
import Testing

/// Issue #13 defect 8 against the real daemon: while Confluence throttles with a long
/// Retry-After, `status` says so and until when, instead of a silent `syncing_metadata`.
@Suite("Issue #13: waits in status, end to end", .serialized)
struct WaitStatusTests {
    @Test("a 15-minute throttle shows in status --json, status, list and watch with its end and cause")
    func throttledStatus() async throws {
        // One request per 900 s: the first is answered, the next draws a 429 with Retry-After ≈ 900.
        let fakeArguments = ["--generate", "20", "--seed", "8", "--email", DaemonHarness.email, "--token", DaemonHarness.token,
                             "--rate-limit", String(1.0 / 900), "--burst", "1"]
        try await FakeConfluence.with(fakeArguments) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create("gen")

            var waiting: [String: Any]?
            let deadline = Date().addingTimeInterval(30)
            while waiting == nil, Date() < deadline {
                let status = try await harness.ctl(["status", "gen", "--json"])
                #expect(status.status == 0, "\(status.stderr)")
                let json = try status.json()
                #expect(json.keys.contains("waiting"), "waiting is always present in --json")
                // Pacing to the server's announced bucket may show first; the 429 follows.
                waiting = (json["waiting"] as? [String: Any]).flatMap { ($0["reason"] as? String)?.contains("HTTP 429") == true ? $0 : nil }
                if waiting == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let wait = try #require(waiting, "status never showed the throttle: \(harness.tail())")
            #expect(wait["kind"] as? String == "throttled")
            let reason = wait["reason"] as? String ?? ""
            #expect(reason.contains("HTTP 429 with Retry-After") && reason.contains(fake.origin), "\(wait)")
            let until = try #require((wait["until"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(until.timeIntervalSinceNow > 800 && until.timeIntervalSinceNow < 1_000, "until \(until): \(wait)")

            let text = try await harness.ctl(["status", "gen"])
            #expect(text.stdout.contains("waiting:") && text.stdout.contains("throttled until ") && text.stdout.contains(" UTC"),
                    "\(text.stdout)")
            let listed = try await harness.ctl(["list"])
            #expect(listed.stdout.contains("(throttled "), "\(listed.stdout)")
            let watched = try await harness.ctl(["watch", "gen", "--timeout", "1"])
            #expect(watched.stdout.contains("throttled"), "\(watched.stdout)")
            #expect(!text.stdout.contains(DaemonHarness.token) && !listed.stdout.contains(DaemonHarness.token))
            #expect(await harness.stopDaemon().status == 0)
        }
    }
}
