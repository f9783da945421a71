import Glibc
import Logging
import ServiceLifecycle
import Systemd
import TributaryEvents
import UnixSignals

/// Owns the daemon's signals: SIGHUP reloads; SIGTERM or SIGINT says why the daemon stops and
/// returns, which shuts the group down gracefully (the group is configured so).
///
/// The group's own `gracefulShutdownSignals` would not tell the services which signal came, and
/// the journal's daemonStopping line names it; so this one service traps all three.
struct SignalService: Service {
    static let trapped: [UnixSignal] = [.sigterm, .sigint, .sighup]

    /// From ``trapSignals()``.
    let signals: UnixSignalsSequence
    let reload: @Sendable () async -> Void
    let notifier: DaemonNotifier
    let logger: Logger

    /// Traps the signals from now on (their default actions end the process), before the control
    /// socket listens: a client that sends SIGHUP once the socket answers must not kill the daemon.
    /// Signals that come before the group runs wait in the sequence.
    static func trapSignals() async -> UnixSignalsSequence {
        unblock(trapped)
        return await UnixSignalsSequence(trapping: trapped)
    }

    func run() async {
        // Ends early when something else shuts the group down.
        for await signal in signals.cancelOnGracefulShutdown() {
            if signal == .sighup {
                await reload()
                continue
            }
            logger.notice("stopping on \(signal)", metadata: TributaryEvent.daemonStopping.metadata([MetadataKey.reason: "\(signal)"]))
            notifier.send([.stopping, .status("stopping")])
            return
        }
    }

    /// A parent (a test runner, a shell) may have blocked them, and children inherit the mask.
    private static func unblock(_ signals: [UnixSignal]) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal.rawValue) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }
}
