import Foundation
import Logging
import Synchronization

/// A small HTTP/1.1 server for JSON APIs: one dedicated thread runs a `poll()` loop over
/// non-blocking TCP sockets (accepting, reading whole requests, writing responses); each complete
/// request runs the handler in a Swift task, whose response returns to the loop thread through a
/// mutex-guarded inbox and a wake-up pipe. So slow or hostile clients never hold a thread of the
/// cooperative pool, and every per-connection resource is bounded by ``Limits``.
///
/// Supported: keep-alive, pipelined requests (answered in order), `Content-Length` bodies,
/// `Expect: 100-continue`. Refused: chunked request bodies (411), oversized heads (431) and
/// bodies (413), malformed requests (400); each of these closes the connection.
public final class HTTPServer: Sendable {
    /// Answers one request; runs in a task of its own, so it may await freely.
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    /// Bounds on what one client may make the server hold.
    public struct Limits: Sendable, Equatable {
        /// The request line and headers, together.
        public var maxHeaderBytes: Int
        /// A longer `Content-Length` gets 413 before any of the body is read.
        public var maxBodyBytes: Int
        /// Connections served at once; further ones get 503 and are closed.
        public var maxConnections: Int
        /// A request must arrive whole within this time of its first byte (slowloris), and a
        /// response that stops moving to its reader for this long ends the connection.
        public var requestTimeout: Duration
        /// A kept-alive connection with nothing to do for this long is closed.
        public var idleTimeout: Duration
        /// Pending connections the kernel queues before `accept`.
        public var listenBacklog: Int32
        /// Threads of the server's own that run handlers: off the global pool, so a request is
        /// never queued behind background work (sync jobs) that keeps the pool's threads busy.
        public var handlerThreads: Int

        public init(
            maxHeaderBytes: Int = 16 << 10, maxBodyBytes: Int = 4 << 20, maxConnections: Int = 128,
            requestTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), listenBacklog: Int32 = 128,
            handlerThreads: Int = 4
        ) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.maxConnections = maxConnections
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
            self.listenBacklog = listenBacklog
            self.handlerThreads = max(1, handlerThreads)
        }
    }

    /// Counters since `start`, for tests and health reports.
    public struct Statistics: Sendable, Equatable {
        public var open = 0
        public var accepted = 0
        public var refusedOverLimit = 0
        public var requests = 0
        /// Requests refused by the server itself (400, 411, 413, 431, 505).
        public var rejected = 0
        public var closedIdle = 0
        public var closedSlow = 0
        public init() {}
    }

    private enum State {
        case idle
        case running(ServerLoop)
        case stopped
    }

    private let handler: Handler
    private let limits: Limits
    private let logger: Logger
    private let state = Mutex<State>(.idle)
    let statistics = StatisticsBox()

    /// A server calling `handler` for each request; nothing listens until ``start(_:)``. Refused and dropped clients are logged to `logger` (never request contents).
    public init(limits: Limits = Limits(), logger: Logger = Logger(label: "http"), handler: @escaping Handler) {
        self.handler = handler
        self.limits = limits
        self.logger = logger
    }

    /// Binds `address` and serves on a dedicated thread; returns the address actually bound
    /// (its port differs when port 0 was asked for). A server starts at most once.
    @discardableResult
    public func start(_ address: ListenAddress) throws(HTTPServerError) -> ListenAddress {
        let (fd, port) = try TCPSocket.listen(address, backlog: limits.listenBacklog)
        let loop: ServerLoop
        do throws(HTTPServerError) {
            loop = try ServerLoop(listener: fd, handler: handler, limits: limits, logger: logger, statistics: statistics)
        } catch {
            close(fd)
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
            throw HTTPServerError(operation: "starting a server twice", code: EALREADY)
        }
        let thread = Thread { loop.run() }
        thread.name = "http-server"
        thread.start()
        var bound = address
        bound.port = port
        return bound
    }

    /// Stops accepting, cancels running handlers, closes every connection and the listening
    /// socket, and returns once the loop thread has finished. Safe to call more than once.
    public func stop() async {
        let loop = state.withLock { state -> ServerLoop? in
            guard case .running(let loop) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            return loop
        }
        await loop?.stop()
    }

    /// The counters so far.
    public var currentStatistics: Statistics {
        statistics.mutex.withLock { $0 }
    }
}

/// The counters, shared by the server and its loop thread.
final class StatisticsBox: Sendable {
    let mutex = Mutex(HTTPServer.Statistics())
}
