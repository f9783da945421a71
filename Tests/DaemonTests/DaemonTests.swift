import FakeConfluenceSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

@Suite("tributaryd end to end", .serialized)
struct DaemonTests {
    @Test("tributaryctl creates a datastore, watches it to ready, and gets status and search in the contract's JSON shapes")
    func controlRoundTrip() async throws {
        try await FakeConfluence.with(["--generate", "300", "--seed", "2", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create()
            try await harness.waitReady()
            let status = try await harness.ctl(["status", "gen", "--json"]).json()
            #expect(status["name"] as? String == "gen")
            #expect(status["state"] as? String == "ready")
            let pages = try #require(status["pages"] as? [String: Any])
            for key in ["discovered", "indexed", "skipped", "failed"] { #expect(pages[key] is Int, "pages.\(key)") }
            #expect((pages["indexed"] as? Int ?? 0) > 0)

            let search = try await harness.ctl(["search", "gen", "deploy rollback", "--limit", "3", "--json"]).json()
            let results = try #require(search["results"] as? [[String: Any]])
            #expect(results.count == 3)
            for result in results {
                for key in ["pageId", "title", "url", "score", "snippet"] { #expect(result[key] != nil, "result.\(key)") }
                #expect((result["url"] as? String ?? "").hasPrefix(fake.origin))
            }
            // A third-party Varlink client (PyPI `varlink`): GetInfo, List, Search and a streamed Watch
            // that sees the current state, then the change a resync causes.
            let python = try #require(DaemonHarness.python(importing: "varlink"), "no python with the varlink package")
            let script = FakeConfluence.repositoryRoot.appendingPathComponent("Tests/ControlTests/varlink_interop.py").path
            async let interop = DaemonHarness.run([python, script, harness.socketPath, "gen", "deploy rollback", "2"])
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await harness.ctl(["resync", "gen"]).status == 0)
            let seen = try await interop
            #expect(seen.status == 0, "\(seen.stderr)")
            let report = try seen.json()
            #expect((report["info"] as? [String: Any])?["product"] != nil)
            #expect(report["list"] as? [String] == ["gen"])
            #expect((report["search"] as? [Any])?.isEmpty == false)
            let watched = try #require(report["watch"] as? [[String: Any]])
            #expect(watched.count == 2)
            #expect(watched.first?["state"] as? String == "ready")
            #expect(watched.last?["state"] as? String != "ready")

            // The token never shows in any output or in the daemon's log.
            let list = try await harness.ctl(["list", "--json"])
            #expect(!list.stdout.contains(DaemonHarness.token))
            #expect(!harness.tail(1 << 20).contains(DaemonHarness.token))
            let stop = await harness.stopDaemon()
            #expect(stop.status == 0, "tributaryd exited \(stop.status) on SIGTERM: \(harness.tail())")
            #expect(stop.seconds < 15)
        }
    }

    @Test("tributaryctl update --clear empties a list filter; clearing and setting the same one is a usage error")
    func updateClearsFilters() async throws {
        try await FakeConfluence.with(["--generate", "40", "--seed", "5", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create(extra: ["--include-title", "No page is called this*"])
            try await harness.waitReady()
            let before = try await harness.ctl(["status", "gen", "--json"]).json()
            #expect((before["pages"] as? [String: Any])?["indexed"] as? Int == 0)

            let conflicting = try await harness.ctl(["update", "gen", "--clear", "include-titles", "--include-title", "A*"])
            #expect(conflicting.status == 2, "\(conflicting.stderr)")
            let cleared = try await harness.ctl(["update", "gen", "--clear", "include-titles", "--json"])
            #expect(cleared.status == 0, "\(cleared.stderr)")
            #expect(try await harness.ctl(["resync", "gen"]).status == 0)
            var indexed = 0
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, indexed == 0 {
                let status = try await harness.ctl(["status", "gen", "--json"]).json()
                if status["state"] as? String == "ready" { indexed = (status["pages"] as? [String: Any])?["indexed"] as? Int ?? 0 }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(indexed > 0, "the cleared title filter still applies: \(harness.tail())")
            #expect(await harness.stopDaemon().status == 0)
        }
    }

    @Test("Killed with SIGKILL 10 times during a sync of 3,000 pages, the final manifest, index and ledger equal an uninterrupted run's")
    func crashResume() async throws {
        try await FakeConfluence.with(["--generate", "3000", "--seed", "9", "--email", DaemonHarness.email, "--token", DaemonHarness.token], maxSeconds: 900) { fake in
            let reference = try DaemonHarness(fake: fake)
            defer { reference.remove() }
            try await reference.startDaemon()
            try await reference.create()
            try await reference.waitReady()
            await reference.stopDaemon()
            let expected = try StateFingerprint(stateDirectory: reference.stateDirectory, datastore: "gen")

            let crashed = try DaemonHarness(fake: fake)
            defer { crashed.remove() }
            try await crashed.startDaemon()
            try await crashed.create()
            var generator = SystemRandomNumberGenerator()
            var statesAtKill: [String] = []
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 150...1_200, using: &generator)))
                let state = (try? await crashed.ctl(["status", "gen", "--json"]).json())?["state"] as? String ?? "?"
                statesAtKill.append(state)
                await crashed.killDaemon()
                try await crashed.startDaemon()
            }
            try await crashed.waitReady()
            await crashed.stopDaemon()
            let actual = try StateFingerprint(stateDirectory: crashed.stateDirectory, datastore: "gen")
            #expect(statesAtKill.filter { $0 != "ready" }.count >= 5, "most kills should land mid-sync: \(statesAtKill)")
            #expect(actual.manifest == expected.manifest)
            #expect(actual.chunksPerPage == expected.chunksPerPage)
            #expect(actual.statistics == expected.statistics)
            #expect(actual.searches == expected.searches)
            #expect(actual.charges == expected.charges)
            #expect(actual.balance == expected.balance)
            #expect(actual.auditProblems.isEmpty, "\(actual.auditProblems.prefix(5))")
            #expect(actual.duplicateCharges == 0)
        }
    }
}
