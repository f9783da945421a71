import Foundation
import Glibc
import Logging
import Synchronization

/// A Varlink server on an AF_UNIX stream socket. One dedicated thread runs a `poll()` loop over
/// non-blocking descriptors (accepting, framing, buffering writes); each complete call runs in a
/// Swift task, and its replies return to the loop thread through a mutex-guarded inbox and a
/// wake-up pipe. So a client that sends slowly, never reads or floods cannot stall the loop, the
/// other clients or the handlers: every per-connection resource is bounded by `Limits`.
public final class VarlinkServer: Sendable {
    /// Bounds on what one client may make the server hold.
    public struct Limits: Sendable, Equatable {
        /// Largest message accepted, NUL excluded; a longer one closes the connection.
        public var maxMessageBytes: Int
        /// Connections served at once; further ones are accepted and closed at once.
        public var maxConnections: Int
        /// A connection with no call running, nothing to send and no byte received for this
        /// long is closed (a streaming call keeps it open).
        public var idleTimeout: Duration
        /// Replies buffered for a client that does not read them; past this it is disconnected.
        public var maxPendingOutputBytes: Int
        public var listenBacklog: Int32

        public init(
            maxMessageBytes: Int = 1 << 20, maxConnections: Int = 128, idleTimeout: Duration = .seconds(300),
            maxPendingOutputBytes: Int = 8 << 20, listenBacklog: Int32 = 128
        ) {
            self.maxMessageBytes = maxMessageBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.maxPendingOutputBytes = maxPendingOutputBytes
            self.listenBacklog = listenBacklog
        }
    }

    /// Where to listen.
    public enum Endpoint: Sendable, Equatable {
        /// Bind `path` (a stale socket file left by a dead server is replaced) with file mode `mode`;
        /// the file is removed again by `stop()`.
        case path(String, mode: UInt32 = 0o660)
        /// An already listening socket, e.g. from systemd socket activation; `stop()` closes it.
        case listeningDescriptor(Int32)
    }

    /// Counters since `start`, for health reports and tests.
    public struct Statistics: Sendable, Equatable {
        public var open = 0
        public var accepted = 0
        public var refusedOverLimit = 0
        public var closedIdle = 0
        public var closedOversized = 0
        public var closedMalformed = 0
        public var closedSlowReader = 0
        public var calls = 0
        public init() {}
    }

    private enum State {
        case idle
        case running(EventLoop)
        case stopped
    }

    private let service: VarlinkService
    private let limits: Limits
    private let logger: Logger
    private let state = Mutex<State>(.idle)
    private let statistics = StatisticsBox()

    /// A server for `service`; nothing listens until `start(_:)`. Dropped clients and
    /// failures are logged to `logger` (never message contents).
    public init(service: VarlinkService, limits: Limits = Limits(), logger: Logger = Logger(label: "varlink")) {
        self.service = service
        self.limits = limits
        self.logger = logger
    }

    /// Starts listening and serving on a dedicated thread. Throws when the socket cannot be set
    /// up; a server starts at most once.
    public func start(_ endpoint: Endpoint) throws(VarlinkSocketError) {
        let fd: Int32
        let ownedPath: String?
        switch endpoint {
        case .path(let path, let mode):
            fd = try Socket.listen(path: path, mode: mode_t(mode), backlog: limits.listenBacklog)
            ownedPath = path
        case .listeningDescriptor(let descriptor):
            try Socket.adopt(listener: descriptor)
            fd = descriptor
            ownedPath = nil
        }
        let loop: EventLoop
        do {
            loop = try EventLoop(
                listener: fd, ownedPath: ownedPath, service: service, limits: limits, logger: logger,
                statistics: statistics)
        } catch {
            close(fd)
            if let ownedPath { unlink(ownedPath) }
            throw error
        }
        let started = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running(loop)
            return true
        }
        guard started else {
            loop.discard()
            close(fd)
            if let ownedPath { unlink(ownedPath) }
            throw VarlinkSocketError(operation: "starting a server twice", code: EALREADY)
        }
        let thread = Thread { loop.run() }
        thread.name = "varlink-server"
        thread.start()
        logger.debug("varlink server listening", metadata: ["socket": "\(ownedPath ?? "fd \(fd)")"])
    }

    /// Stops accepting, cancels running calls (ending streams), closes every connection and the
    /// listening socket (removing a socket file it created), and returns once the loop thread
    /// has finished. Safe to call more than once.
    public func stop() async {
        let loop = state.withLock { state -> EventLoop? in
            guard case .running(let loop) = state else { return nil }
            state = .stopped
            return loop
        }
        guard let loop else { return }
        await loop.stop()
    }

    /// The counters so far.
    public var currentStatistics: Statistics {
        statistics.mutex.withLock { $0 }
    }
}

/// The counters, shared by the server and its loop thread.
final class StatisticsBox: Sendable {
    let mutex = Mutex(VarlinkServer.Statistics())
}
