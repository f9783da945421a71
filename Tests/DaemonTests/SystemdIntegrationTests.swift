import FakeConfluenceSupport
import Foundation
import SystemdTestSupport
import Testing

@Suite("tributaryd under systemd's protocols", .serialized)
struct SystemdIntegrationTests {
    @Test("sd_notify: READY after the socket listens, STATUS lines, WATCHDOG pings, STOPPING on SIGTERM, in that order")
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
            #expect(await harness.stopDaemon().status == 0)
            let assignments = recorder.assignments
            let ready = try #require(assignments.firstIndex(of: "READY=1"), "\(assignments)")
            let watchdog = try #require(assignments.firstIndex(of: "WATCHDOG=1"), "\(assignments)")
            let stopping = try #require(assignments.firstIndex(of: "STOPPING=1"), "\(assignments)")
            #expect(ready < watchdog && watchdog < stopping)
            #expect(assignments.contains { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") })
            #expect(assignments.contains("STATUS=1 datastore: 1 ready"), "\(assignments.filter { $0.hasPrefix("STATUS=") })")
        }
    }

    @Test("A stalled engine heartbeat stops the WATCHDOG pings")
    func stalledHeartbeat() async throws {
        try await FakeConfluence.with(["--generate", "10", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let recorder = try NotifyRecorder()
            defer { recorder.stop() }
            try await harness.startDaemon(environment: [
                "NOTIFY_SOCKET": recorder.path, "WATCHDOG_USEC": "600000", "TRIBUTARY_FAULT_STALL_SCHEDULER_AFTER_MS": "1500",
            ])
            try await Task.sleep(for: .milliseconds(1_200))
            let early = recorder.assignments.filter { $0 == "WATCHDOG=1" }.count
            #expect(early >= 2, "pings before the stall: \(early)")
            // The heartbeat goes stale 10 s after the stall; from then on no ping may come.
            try await Task.sleep(for: .seconds(13))
            let before = recorder.assignments.filter { $0 == "WATCHDOG=1" }.count
            try await Task.sleep(for: .seconds(2))
            let after = recorder.assignments.filter { $0 == "WATCHDOG=1" }.count
            #expect(after == before, "pings continued while the engine was stalled")
            // The control socket still answers: only the engine stalled.
            #expect(try await harness.ctl(["list", "--json"]).status == 0)
            await harness.killDaemon()
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
                kill -TERM $pid; wait $pid
                """
            let result = try await PrivateJournal.run(["/bin/sh", "-c", script], output: .journalStream(identifier: "tributaryd"), timeout: .seconds(120))
            #expect(result.status == 0, "\(result.standardError) \(result.journaldLog)")
            let entries = result.entries(identifier: "tributaryd")
            let ids = Set(entries.compactMap { $0["MESSAGE_ID"] })
            #expect(ids.contains("3b7cd2897799434dada0ae9aa9f285a4"), "daemon ready")
            #expect(ids.contains("f400d7383b6545418b90c4acabc3f9a8"), "state changed")
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
