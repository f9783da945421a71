import Synchronization
import Systemd
import Testing

/// The watchdog follows the engine's heartbeat: the test stalls the heartbeat it injects, so the
/// daemon's production types carry no fault knob.
@Suite("Watchdog pings follow the heartbeat")
struct WatchdogLoopTests {
    final class Recorder: Sendable {
        let states = Mutex<[NotifyState]>([])
        let heartbeatAge = Atomic<Int64>(0)
        let statusCalls = Atomic<Int>(0)
        var pings: Int { states.withLock { $0.filter { $0 == .watchdog }.count } }

        /// Waits (bounded) until `condition` holds.
        func wait(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(5))
            }
            return condition()
        }
    }

    @Test("A stalled heartbeat stops the WATCHDOG pings while the loop itself (status lines) goes on")
    func stalledHeartbeat() async throws {
        let recorder = Recorder()
        let loop = WatchdogLoop(
            heartbeatAgeMillis: { recorder.heartbeatAge.load(ordering: .relaxed) }, staleHeartbeatMillis: 10_000,
            status: {
                let calls = recorder.statusCalls.add(1, ordering: .relaxed).newValue
                return "status \(calls)"
            },
            send: { states in recorder.states.withLock { $0.append(contentsOf: states) } },
            watchdogInterval: .milliseconds(30))
        #expect(loop.tick == .milliseconds(10))
        let task = Task { try await loop.run() }
        defer { task.cancel() }
        #expect(try await recorder.wait { recorder.pings >= 2 }, "pings before the stall: \(recorder.pings)")
        // The heartbeat goes stale: from then on no ping may come.
        recorder.heartbeatAge.store(10_000, ordering: .relaxed)
        let stalledAt = recorder.statusCalls.load(ordering: .relaxed)
        // One round may have read the heartbeat before the store: wait for two more rounds.
        #expect(try await recorder.wait { recorder.statusCalls.load(ordering: .relaxed) >= stalledAt + 2 })
        let before = recorder.pings
        let calls = recorder.statusCalls.load(ordering: .relaxed)
        #expect(try await recorder.wait { recorder.statusCalls.load(ordering: .relaxed) >= calls + 5 })
        #expect(recorder.pings == before, "pings continued while the engine was stalled")
        // The loop still runs: only the heartbeat stalled, status lines keep coming.
        #expect(recorder.states.withLock { $0.contains(.status("status \(calls + 4)")) })
        // A fresh heartbeat brings the pings back.
        recorder.heartbeatAge.store(0, ordering: .relaxed)
        #expect(try await recorder.wait { recorder.pings > before })
    }

    @Test("Without a watchdog interval no ping is sent, only status lines when they change")
    func watchdogOff() async throws {
        let recorder = Recorder()
        let loop = WatchdogLoop(heartbeatAgeMillis: { 0 }, status: { "same" },
                                send: { states in recorder.states.withLock { $0.append(contentsOf: states) } }, watchdogInterval: nil)
        #expect(loop.tick == .seconds(2))
        let task = Task { try await loop.run() }
        #expect(try await recorder.wait { recorder.states.withLock { !$0.isEmpty } })
        task.cancel()
        _ = await task.result
        #expect(recorder.states.withLock { $0 } == [.status("same")])
    }
}
