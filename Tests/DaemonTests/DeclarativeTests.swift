import FakeConfluenceSupport
import Foundation
import Testing

@Suite("Declarative datastores", .serialized)
struct DeclarativeTests {
    @Test("datastores.d files create datastores at start; a broken one is reported with path and line; SIGHUP applies edits")
    func datastoreFiles() async throws {
        try await FakeConfluence.with(["--generate", "120", "--seed", "4", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let etc = harness.directory + "/etc"
            try FileManager.default.createDirectory(atPath: etc + "/datastores.d", withIntermediateDirectories: true)
            try "default_rate_limit = 500\nlog = stderr\n".write(toFile: etc + "/tributaryd.conf", atomically: true, encoding: .utf8)
            try """
                url = \(harness.spaceURL)
                email = \(DaemonHarness.email)
                token_file = \(harness.tokenFile)
                exclude_labels = template
                """.write(toFile: etc + "/datastores.d/docs.conf", atomically: true, encoding: .utf8)
            try """
                url = \(harness.spaceURL)
                email = \(DaemonHarness.email)
                token_file = \(harness.tokenFile)
                resync_interval = whenever
                """.write(toFile: etc + "/datastores.d/broken.conf", atomically: true, encoding: .utf8)
            try await harness.startDaemon(extraArguments: ["--config", etc + "/tributaryd.conf"])
            try await harness.waitReady("docs")
            let status = try await harness.ctl(["status", "docs", "--json"]).json()
            #expect(status["origin"] as? String == etc + "/datastores.d/docs.conf")
            #expect(try await harness.ctl(["status", "broken", "--json"]).status != 0)
            #expect(harness.tail(1 << 20).contains(etc + "/datastores.d/broken.conf:4:"), "\(harness.tail())")

            // An edit applies on SIGHUP: a title filter that excludes everything.
            try """
                url = \(harness.spaceURL)
                email = \(DaemonHarness.email)
                token_file = \(harness.tokenFile)
                exclude_labels = template
                include_titles = No page has this title*
                """.write(toFile: etc + "/datastores.d/docs.conf", atomically: true, encoding: .utf8)
            kill(try #require(harness.daemon).processIdentifier, SIGHUP)
            let deadline = Date().addingTimeInterval(60)
            var indexed = -1
            while Date() < deadline {
                let json = try? await harness.ctl(["status", "docs", "--json"]).json()
                if json?["state"] as? String == "ready", let pages = json?["pages"] as? [String: Any] {
                    indexed = pages["indexed"] as? Int ?? -1
                    if indexed == 0 { break }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(indexed == 0, "the reloaded filter did not apply: \(harness.tail())")
            let search = try await harness.ctl(["search", "docs", "deploy", "--json"]).json()
            #expect((search["results"] as? [Any])?.isEmpty == true)

            // A broken tributaryd.conf on reload is reported with its line; the daemon serves on.
            try "default_rate_limit = 500\nlog = stderr\nmax_concurrent_datastores = lots\n"
                .write(toFile: etc + "/tributaryd.conf", atomically: true, encoding: .utf8)
            kill(try #require(harness.daemon).processIdentifier, SIGHUP)
            let reported = Date().addingTimeInterval(30)
            while Date() < reported, !harness.tail(1 << 20).contains("keeping the previous settings") {
                try await Task.sleep(for: .milliseconds(50))
            }
            let log = harness.tail(1 << 20)
            #expect(log.contains("keeping the previous settings") && log.contains(etc + "/tributaryd.conf:3"), "\(harness.tail())")
            #expect(try await harness.ctl(["status", "docs", "--json"]).json()["state"] as? String == "ready")
            #expect(await harness.stopDaemon().status == 0)
        }
    }
}
