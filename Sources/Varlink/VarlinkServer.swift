import Foundation
import Glibc
import Logging
import Synchronization
import TaskThreads

/// A Varlink server on an AF_UNIX stream socket. One dedicated thread runs a `poll()` loop over
/// non-blocking descriptors (accepting, framing, buffering writes); each complete call runs in a
/// Swift task on the server's own bounded pool of call threads (`Limits.callThreads`), and its
/// replies return to the loop thread through a mutex-guarded inbox and a wake-up pipe. So a
/// client that sends slowly, never reads or floods cannot stall the loop, the other clients or
/// the handlers: every per-connection resource is bounded by `Limits`. And calls never queue
/// behind other work of the process on the global cooperative pool (one thread per core), such as
/// a sync converting and indexing pages: a search is answered while the cores are busy.
public final class VarlinkServer: Sendable {
    /// Bounds on what one client may make the server hold.
    public struct Limits: Sendable, Equatable {
        /// Largest message accepted, NUL excluded; a longer one closes the connection.
        public var maxMessageBytes: Int
        /// Connections served at once; further ones are accepted and closed at once.
        public var maxConnections: Int
        /// Of `maxConnections`, the slots only privileged peers may take (see
        /// `VarlinkServer.init(service:limits:isPrivileged:logger:)`), so unprivileged clients
        /// together can never hold every slot.
        public var reservedConnections: Int
        /// Connections one unprivileged uid may hold at once; privileged peers have no share
        /// (they may already change everything the socket offers).
        public var maxConnectionsPerUser: Int
        /// A connection with no call running, nothing to send and no byte received for this
        /// long is closed (a streaming call keeps it open).
        public var idleTimeout: Duration
        /// A connection that has not sent one complete message this long after it was accepted
        /// is closed, so silent connections cannot hold slots for the whole `idleTimeout`.
        public var firstMessageTimeout: Duration
        /// Replies buffered for a client that does not read them; past this it is disconnected.
        public var maxPendingOutputBytes: Int
        public var listenBacklog: Int32
        /// A refused connection is logged at most once per peer uid in this interval (the next
        /// line counts the ones left out).
        public var refusalLogInterval: Duration
        /// Threads that run calls, shared by every connection (at least one). A handler that
        /// computes or blocks holds one; one that awaits (a stream, a network reply) holds none.
        public var callThreads: Int

        public init(
            maxMessageBytes: Int = 1 << 20, maxConnections: Int = 128, reservedConnections: Int = 16,
            maxConnectionsPerUser: Int = 16, idleTimeout: Duration = .seconds(300),
            firstMessageTimeout: Duration = .seconds(5), maxPendingOutputBytes: Int = 8 << 20,
            listenBacklog: Int32 = 128, refusalLogInterval: Duration = .seconds(60), callThreads: Int = 4
        ) {
            self.maxMessageBytes = maxMessageBytes
            self.maxConnections = maxConnections
            self.reservedConnections = reservedConnections
            self.maxConnectionsPerUser = maxConnectionsPerUser
            self.idleTimeout = idleTimeout
            self.firstMessageTimeout = firstMessageTimeout
            self.maxPendingOutputBytes = maxPendingOutputBytes
            self.listenBacklog = listenBacklog
            self.refusalLogInterval = refusalLogInterval
            self.callThreads = callThreads
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
        /// Connections refused for any reason (no slot, or no peer credentials).
        public var refusedOverLimit = 0
        /// Of those, refused because the peer's uid held its whole share.
        public var refusedOverUserShare = 0
        /// Of those, refused because only the privileged peers' reserve was left.
        public var refusedForReserve = 0
        public var closedIdle = 0
        /// Closed for sending no complete message within `firstMessageTimeout`.
        public var closedSilent = 0
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
    private let isPrivileged: @Sendable (VarlinkPeer) -> Bool
    private let logger: Logger
    private let state = Mutex<State>(.idle)
    private let statistics = StatisticsBox()

    /// A server for `service`; nothing listens until `start(_:)`. `isPrivileged` says, once per
    /// connection at accept (from its `SO_PEERCRED` credentials), whether the peer may use the
    /// reserved slots and is exempt from the per-user share; by default root and this process's
    /// uid. Dropped clients and failures are logged to `logger` (never message contents).
    public init(
        service: VarlinkService, limits: Limits = Limits(),
        isPrivileged: @escaping @Sendable (VarlinkPeer) -> Bool = VarlinkServer.rootOrOwnUser(),
        logger: Logger = Logger(label: "varlink")
    ) {
        self.service = service
        self.limits = limits
        self.isPrivileged = isPrivileged
        self.logger = logger
    }

    /// The default privilege test: uid 0 and the uid this process runs as.
    public static func rootOrOwnUser() -> @Sendable (VarlinkPeer) -> Bool {
        let ownUserID = getuid()
        return { peer in peer.userID == 0 || peer.userID == ownUserID }
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
                listener: fd, ownedPath: ownedPath, service: service, limits: limits,
                admission: ConnectionAdmission(limits: limits, isPrivileged: isPrivileged), logger: logger,
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
