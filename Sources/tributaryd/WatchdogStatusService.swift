import Engine
import ServiceLifecycle
import Systemd

/// Watchdog pings and the status line `systemctl status` shows, paced by the engine's
/// heartbeat (see ``WatchdogLoop``): a stalled scheduler stops the pings.
struct WatchdogStatusService: Service {
    let engine: Engine
    let notifier: DaemonNotifier

    func run() async {
        let loop = WatchdogLoop(
            heartbeatAgeMillis: { [engine] in engine.heartbeatAgeMillis },
            status: { [engine] in await StatusLine.describe(engine) },
            send: { [notifier] in notifier.send($0) },
            watchdogInterval: notifier.watchdogInterval())
        try? await cancelWhenGracefulShutdown { try await loop.run() }
    }
}
