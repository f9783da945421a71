/// Watchdog pings and status lines for a service whose liveness is a heartbeat.
///
/// A ping goes out only while the heartbeat is fresh: if the work loop behind it stalls, pings
/// stop and systemd restarts the service, even though this loop still runs (and keeps the status
/// line current). The heartbeat, the status and the sending are given, so a test can stall the
/// heartbeat without a fault knob in the service itself.
public struct WatchdogLoop: Sendable {
    /// Milliseconds since the watched loop last went round.
    public var heartbeatAgeMillis: @Sendable () -> Int64
    /// A heartbeat older than this counts as stalled.
    public var staleHeartbeatMillis: Int64
    /// The status line to show (sent when it changes).
    public var status: @Sendable () async -> String
    /// Sends notifications (sd_notify in the daemon).
    public var send: @Sendable ([NotifyState]) -> Void
    /// systemd's watchdog interval; nil: the watchdog is off and only status lines go out.
    public var watchdogInterval: Duration?

    public init(heartbeatAgeMillis: @escaping @Sendable () -> Int64, staleHeartbeatMillis: Int64 = 10_000,
                status: @escaping @Sendable () async -> String, send: @escaping @Sendable ([NotifyState]) -> Void,
                watchdogInterval: Duration?) {
        self.heartbeatAgeMillis = heartbeatAgeMillis
        self.staleHeartbeatMillis = staleHeartbeatMillis
        self.status = status
        self.send = send
        self.watchdogInterval = watchdogInterval
    }

    /// Three pings per watchdog interval; the status line at least every two seconds.
    public var tick: Duration {
        watchdogInterval.map { min($0 / 3, .seconds(2)) } ?? .seconds(2)
    }

    /// Runs until the task is cancelled.
    public func run() async throws {
        var lastStatus = ""
        while true {
            if watchdogInterval != nil, heartbeatAgeMillis() < staleHeartbeatMillis {
                send([.watchdog])
            }
            let line = await status()
            if line != lastStatus {
                send([.status(line)])
                lastStatus = line
            }
            try await Task.sleep(for: tick)
        }
    }
}
