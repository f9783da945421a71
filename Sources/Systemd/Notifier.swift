import CSystemd
import Glibc

/// One state change to tell the service manager, as defined by sd_notify(3).
public enum NotifyState: Sendable, Equatable {
    /// Start-up finished: the store is open and the control socket listens.
    case ready
    /// A reload of the configuration started; `ready` follows when it is done.
    case reloading
    /// Graceful shutdown started.
    case stopping
    /// A line a person reads in `systemctl status`.
    case status(String)
    /// The watchdog keep-alive ping.
    case watchdog
    /// Ask for more start-up or shutdown time.
    case extendTimeout(microseconds: UInt64)

    /// The `KEY=value` assignment for this state.
    public var assignment: String {
        switch self {
        case .ready: "READY=1"
        case .reloading: "RELOADING=1"
        case .stopping: "STOPPING=1"
        case .status(let text): "STATUS=" + text.replacingNewlines()
        case .watchdog: "WATCHDOG=1"
        case .extendTimeout(let microseconds): "EXTEND_TIMEOUT_USEC=\(microseconds)"
        }
    }
}

/// Sends readiness, status and watchdog notifications to systemd through sd_notify.
///
/// Outside systemd (no `$NOTIFY_SOCKET`) every call is a cheap no-op, so the daemon calls it
/// unconditionally.
public struct Notifier: Sendable {
    public init() {}

    /// Whether a service manager is listening.
    public var isConnected: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// Sends several states in one datagram, in order. Returns whether it was delivered.
    @discardableResult
    public func notify(_ states: [NotifyState]) throws(SystemdError) -> Bool {
        let message = states.map(\.assignment).joined(separator: "\n")
        let rc = sd_notify(0, message)
        if rc < 0 {
            throw SystemdError(operation: "sd_notify", code: -rc)
        }
        return rc > 0
    }

    /// Sends one state. Returns whether it was delivered.
    @discardableResult
    public func notify(_ state: NotifyState) throws(SystemdError) -> Bool {
        try notify([state])
    }

    /// The watchdog interval systemd expects pings within, if the watchdog is enabled for us.
    public func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }
}

extension String {
    /// sd_notify assignments are newline-separated, so a status must stay on one line.
    fileprivate func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
