import FakeConfluenceSupport
import Foundation
import Glibc
import SystemdTestSupport
import Testing

/// The daemon shell as one service group: signals trapped before the socket answers, reload on
/// SIGHUP, and a graceful stop of every service (signals, status, MCP, control socket, engine).
@Suite("tributaryd lifecycle", .serialized)
struct LifecycleTests {
    @Test("SIGHUP the moment the socket answers reloads (never kills); SIGINT stops every service: STOPPING=1, exit 0, socket removed")
    func hangUpThenInterrupt() async throws {
        try await FakeConfluence.with(["--generate", "5", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let recorder = try NotifyRecorder()
            defer { recorder.stop() }
            let port = try MCPHTTPTests.freePort()
            try await harness.startDaemon(extraArguments: ["--mcp-listen", "127.0.0.1:\(port)"],
                                          environment: ["NOTIFY_SOCKET": recorder.path])
            let daemon = try #require(harness.daemon)
            kill(daemon.processIdentifier, SIGHUP)
            let reloaded = try await recorder.wait(timeout: .seconds(10)) { assignments in
                guard let reloading = assignments.firstIndex(of: "RELOADING=1") else { return false }
                return assignments[reloading...].contains("READY=1")
            }
            #expect(reloaded != nil, "no RELOADING=1 then READY=1: \(recorder.assignments) \(harness.tail())")
            #expect(daemon.isRunning, "SIGHUP ended the daemon: \(harness.tail())")
            #expect(harness.tail(100_000).contains("configuration reloaded"))

            kill(daemon.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(30)
            while daemon.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!daemon.isRunning, "still running 30 s after SIGINT: \(harness.tail())")
            await harness.killDaemon()
            #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0,
                    "exit \(daemon.terminationStatus) (\(daemon.terminationReason)): \(harness.tail())")
            let assignments = recorder.assignments
            let stopping = try #require(assignments.lastIndex(of: "STOPPING=1"), "\(assignments)")
            #expect(try #require(assignments.lastIndex(of: "READY=1")) < stopping, "\(assignments)")
            let log = harness.tail(100_000)
            #expect(log.contains("stopping on SIGINT"), "\(harness.tail())")
            #expect(log.contains("info: stopped\n"), "the daemon did not finish its shutdown: \(harness.tail())")
            // The control service removed the socket file it created.
            #expect(!FileManager.default.fileExists(atPath: harness.socketPath))
        }
    }

    @Test("SIGTERM in the middle of a sync: the engine service stops the running job and the daemon exits 0 in time")
    func terminateDuringSync() async throws {
        try await FakeConfluence.with(["--generate", "3000", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create()
            // A first sync indexes straight from the listing: stop it once pages are indexed and
            // the cycle is still running (syncing_metadata or processing).
            var state = ""
            var indexed = 0
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, state != "ready", indexed == 0 {
                let status = try await harness.ctl(["status", "gen", "--json"]).json()
                state = status["state"] as? String ?? ""
                indexed = (status["pages"] as? [String: Any])?["indexed"] as? Int ?? 0
                if indexed == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(indexed > 0 && state != "ready", "the sync was not caught running: \(state), \(indexed) indexed \(harness.tail())")
            let stop = await harness.stopDaemon()
            #expect(stop.status == 0, "tributaryd exited \(stop.status) on SIGTERM: \(harness.tail())")
            #expect(stop.seconds < 15, "the stop took \(stop.seconds) s")
            #expect(harness.tail(100_000).contains("info: stopped\n"), "\(harness.tail())")

            // The store is whole: the next daemon resumes the sync to ready.
            try await harness.startDaemon()
            try await harness.waitReady()
            #expect(await harness.stopDaemon().status == 0)
        }
    }
}
