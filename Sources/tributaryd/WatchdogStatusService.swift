import Engine
import ServiceLifecycle
import Systemd

/// Watchdog pings and the status line `systemctl status` shows.
///
/// A ping goes out only while the engine's own heartbeat is fresh: if the scheduler stalls,
/// pings stop and systemd restarts the service, even though this loop still runs.
struct WatchdogStatusService: Service {
    let engine: Engine
    let notifier: DaemonNotifier
    /// A heartbeat older than this counts as a stalled engine.
    var staleHeartbeatMillis: Int64 = 10_000

    func run() async {
        let watchdog = notifier.watchdogInterval()
        // Three pings per watchdog interval; the status line at least every two seconds.
        let tick: Duration = watchdog.map { min($0 / 3, .seconds(2)) } ?? .seconds(2)
        try? await cancelWhenGracefulShutdown { [engine, notifier, staleHeartbeatMillis] in
            var lastStatus = ""
            while true {
                if watchdog != nil, engine.heartbeatAgeMillis < staleHeartbeatMillis {
                    notifier.send([.watchdog])
                }
                let status = await StatusLine.describe(engine)
                if status != lastStatus {
                    notifier.send([.status(status)])
                    lastStatus = status
                }
                try await Task.sleep(for: tick)
            }
        }
    }
}
