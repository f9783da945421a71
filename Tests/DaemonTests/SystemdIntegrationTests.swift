import FakeConfluenceSupport
import Foundation
import SystemdTestSupport
import Testing

@Suite("tributaryd under systemd's protocols", .serialized)
struct SystemdIntegrationTests {
    @Test("sd_notify: READY after the socket listens, STATUS lines, WATCHDOG pings, RELOADING then READY on SIGHUP, STOPPING on SIGTERM")
    func notifyOrder() async throws {
        try await FakeConfluence.with(["--generate", "50", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let recorder = try NotifyRecorder()
            defer { recorder.stop() }
            try await harness.startDaemon(environment: ["NOTIFY_SOCKET": recorder.path, "WATCHDOG_USEC": "600000"])
            _ = try await recorder.wait(for: "WATCHDOG=1", timeout: .seconds(10))
            try await harness.create()
            try await harness.waitReady()
            try await Task.sleep(for: .milliseconds(2_500))  // a STATUS line for the ready datastore
            // SIGHUP re-reads the configuration between RELOADING=1 and a second READY=1.
            kill(try #require(harness.daemon).processIdentifier, SIGHUP)
            _ = try await recorder.wait(for: "RELOADING=1", timeout: .seconds(10))
            try await Task.sleep(for: .milliseconds(500))
            #expect(await harness.stopDaemon().status == 0)
            let assignments = recorder.assignments
            let reloading = try #require(assignments.firstIndex(of: "RELOADING=1"))
            #expect(assignments[reloading...].contains("READY=1"), "\(assignments)")
            let ready = try #require(assignments.firstIndex(of: "READY=1"), "\(assignments)")
            let watchdog = try #require(assignments.firstIndex(of: "WATCHDOG=1"), "\(assignments)")
            let stopping = try #require(assignments.firstIndex(of: "STOPPING=1"), "\(assignments)")
            #expect(ready < watchdog && watchdog < stopping)
            #expect(assignments.contains { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") })
            #expect(assignments.contains("STATUS=1 datastore: 1 ready"), "\(assignments.filter { $0.hasPrefix("STATUS=") })")
        }
    }

    // The stalled-heartbeat case is SystemdTests/WatchdogLoopTests: it stalls an injected
    // heartbeat, so the engine carries no fault-injection knob.

    @Test("systemd-socket-activate passes the control socket: tributaryd serves on it, binds nothing itself, and tributaryctl drives a sync through it")
    func socketActivation() async throws {
        let activate = try #require(
            ["/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate", "/lib/systemd/systemd-socket-activate"]
                .first { FileManager.default.isExecutableFile(atPath: $0) }, "systemd-socket-activate is not installed")
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            // The daemon is told a different path: if it bound a socket of its own, that path would appear.
            let unusedPath = harness.directory + "/bound-by-daemon.sock"
            let ctl = "\(DaemonHarness.tributaryctl) --socket \(harness.socketPath)"
            let out = harness.directory
            // Everything is redirected to files: a background daemon holding the harness's pipes
            // would keep them open past the script's end.
            let script = """
                \(activate) --listen=\(harness.socketPath) --fdname=control \
                    \(DaemonHarness.tributaryd) --state-dir \(harness.stateDirectory) --socket \(unusedPath) --log stderr \
                    >\(harness.logFile) 2>&1 </dev/null & pid=$!
                for i in $(seq 200); do [ -S \(harness.socketPath) ] && break; sleep 0.05; done
                \(ctl) health --json >\(out)/health.json 2>\(out)/ctl.err || exit 10
                \(ctl) create hb --url \(fake.origin)/wiki/spaces/HB --email \(DaemonHarness.email) --token-file \(harness.tokenFile) 2>>\(out)/ctl.err || exit 11
                \(ctl) watch hb --until ready --timeout 120 >/dev/null 2>>\(out)/ctl.err || exit 12
                \(ctl) search hb "rotate the database credentials" --limit 3 --json >\(out)/search.json 2>>\(out)/ctl.err || exit 13
                [ -e \(unusedPath) ] && exit 14
                kill -TERM $pid; wait $pid; echo "daemon exit $?"
                """
            let result = try await DaemonHarness.run(Process.unblockingSignals(["/bin/sh", "-c", script]))
            let errors = (try? String(contentsOfFile: out + "/ctl.err", encoding: .utf8)) ?? ""
            #expect(result.status == 0, "script status \(result.status): \(errors) \(result.stderr) \(harness.tail())")
            #expect(result.stdout.contains("daemon exit 0"), "\(result.stdout) \(harness.tail())")
            #expect(harness.tail(100_000).contains("serving the control socket passed by systemd"), "\(harness.tail())")
            let health = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/health.json"))) as? [String: Any]
            #expect(health != nil, "health answered over the passed socket")
            let search = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/search.json"))) as? [String: Any]
            let results = try #require(search?["results"] as? [[String: Any]], "\(String(describing: search))")
            #expect(results.first?["title"] as? String == "Runbook: PostgreSQL", "\(results)")
            #expect(!FileManager.default.fileExists(atPath: unusedPath))
        }
    }

    @Test("A private journald receives the daemon's entries with MESSAGE_IDs and TRIBUTARY_ fields, and never the token")
    func journal() async throws {
        try await FakeConfluence.with(["--generate", "30", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let script = """
                \(DaemonHarness.tributaryd) --state-dir \(harness.stateDirectory) --socket \(harness.socketPath) & pid=$!
                for i in $(seq 200); do [ -S \(harness.socketPath) ] && break; sleep 0.05; done
                \(DaemonHarness.tributaryctl) --socket \(harness.socketPath) create gen --url \(harness.spaceURL) --email \(DaemonHarness.email) --token-file \(harness.tokenFile)
                \(DaemonHarness.tributaryctl) --socket \(harness.socketPath) watch gen --until ready --timeout 60 > /dev/null
                \(DaemonHarness.tributaryctl) --socket \(harness.socketPath) resync gen > /dev/null
                \(DaemonHarness.tributaryctl) --socket \(harness.socketPath) watch gen --until ready --timeout 60 > /dev/null
                kill -TERM $pid; wait $pid
                """
            let result = try await PrivateJournal.run(["/bin/sh", "-c", script], output: .journalStream(identifier: "tributaryd"), timeout: .seconds(120))
            #expect(result.status == 0, "\(result.standardError) \(result.journaldLog)")
            let entries = result.entries(identifier: "tributaryd")
            let ids = Set(entries.compactMap { $0["MESSAGE_ID"] })
            #expect(ids.contains("3b7cd2897799434dada0ae9aa9f285a4"), "daemon ready")
            #expect(ids.contains("f400d7383b6545418b90c4acabc3f9a8"), "state changed (ready → syncing_metadata on resync)")
            #expect(ids.contains("832501ee5bc142178fbc04b329889617"), "datastore ready")
            #expect(ids.contains("bc8af1c8d9694a7eb6f7205085844e71"), "stopping")
            let ready = try #require(entries.first { $0["MESSAGE_ID"] == "832501ee5bc142178fbc04b329889617" })
            #expect(ready["TRIBUTARY_DATASTORE"] == "gen")
            #expect(ready["TRIBUTARY_STATE"] == "ready")
            #expect(ready["PRIORITY"] == "5")
            #expect(ready["CODE_FILE"] != nil && ready["CODE_LINE"] != nil)
            let everything = entries.map { "\($0.fields)" }.joined()
            #expect(!everything.contains(DaemonHarness.token))
        }
    }
}
