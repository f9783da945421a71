import Logging
import Systemd

/// sd_notify for the daemon's services: a failed notification is a warning, never a stop.
struct DaemonNotifier: Sendable {
    let notifier = Notifier()
    let logger: Logger

    func send(_ states: [NotifyState]) {
        do {
            _ = try notifier.notify(states)
        } catch {
            logger.warning("sd_notify failed: \(error)")
        }
    }

    /// The interval systemd expects watchdog pings within; nil when the watchdog is off.
    func watchdogInterval() -> Duration? {
        notifier.watchdogInterval()
    }
}
