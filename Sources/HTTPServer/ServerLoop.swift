import Glibc
import Logging
import Synchronization
import TaskThreads

/// The server's loop thread. Everything but `inbox` and the wake-up pipe's write end is touched
/// only on that thread, which is what makes the unchecked Sendable sound: handler tasks and
/// `stop()` talk to the loop only through `post` and `stop`.
final class ServerLoop: @unchecked Sendable {
    private struct Inbox {
        /// Serialized responses by connection, and whether to close after each.
        var responses: [(connection: UInt64, bytes: [UInt8], close: Bool)] = []
        var stopping = false
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Per-connection state, loop thread only.
    private final class Connection {
        let id: UInt64
        let fd: Int32
        let peer: String
        var input: [UInt8] = []
        /// The head of the request whose body is still arriving, and where its body starts.
        var head: RequestHead?
        var bodyStart = 0
        /// How much of `input` has been searched for the end of the head (a head sent a byte at
        /// a time must not be rescanned from the start each time).
        var headScanned = 0
        var sentContinue = false
        var running: Task<Void, Never>?
        var output: [UInt8] = []
        var outputOffset = 0
        /// Close once `output` is sent (the response said `Connection: close`).
        var closeAfterOutput = false
        /// Output sent and our side shut down: reading and discarding until the peer closes, so
        /// a final error response is not destroyed by a reset.
        var lingerSince: ContinuousClock.Instant?
        var readClosed = false
        /// When the first byte of the request being read arrived.
        var requestSince: ContinuousClock.Instant?
        var lastActivity: ContinuousClock.Instant
        var lastWriteProgress: ContinuousClock.Instant

        init(id: UInt64, fd: Int32, peer: String, now: ContinuousClock.Instant) {
            self.id = id
            self.fd = fd
            self.peer = peer
            lastActivity = now
            lastWriteProgress = now
        }

        var pendingOutput: Int { output.count - outputOffset }
        /// Reading is paused while a request is being answered: requests are served one at a time.
        var wantsInput: Bool {
            lingerSince != nil || (!readClosed && running == nil && pendingOutput == 0 && !closeAfterOutput)
        }
    }

    private enum CloseReason {
        case peerClosed, idle, slow, done, stopping
    }

    private let inbox = Mutex(Inbox())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let listener: Int32
    private let handler: HTTPServer.Handler
    private let limits: HTTPServer.Limits
    private let logger: Logger
    private let statistics: StatisticsBox
    private let clock = ContinuousClock()
    /// Where handlers run: the server's own threads, not the global pool.
    private let handlerExecutor: ThreadPoolExecutor
    private static let lingerTime: Duration = .seconds(2)

    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 1
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(
        listener: Int32, handler: @escaping HTTPServer.Handler, limits: HTTPServer.Limits, logger: Logger,
        statistics: StatisticsBox
    ) throws(HTTPServerError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw HTTPServerError(operation: "pipe", code: errno) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        self.listener = listener
        self.handler = handler
        self.limits = limits
        self.logger = logger
        self.statistics = statistics
        handlerExecutor = ThreadPoolExecutor(name: "http-handler", threads: limits.handlerThreads)
    }

    /// Marks a loop that never ran as stopped (the listener belongs to the caller).
    func discard() {
        inbox.withLock { $0.stopped = true }
        handlerExecutor.shutdown()
    }

    deinit {
        // Only now: a handler finishing after stop() may still post, and writing to a pipe
        // whose read end is closed would raise SIGPIPE.
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    // MARK: - Other threads

    /// Hands a response to the loop; wakes it only when the inbox was empty.
    func post(connection: UInt64, bytes: [UInt8], close: Bool) {
        let wasEmpty = inbox.withLock { inbox -> Bool in
            if inbox.stopped { return false }
            let wasEmpty = inbox.responses.isEmpty
            inbox.responses.append((connection, bytes, close))
            return wasEmpty
        }
        if wasEmpty { wake() }
    }

    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = inbox.withLock { inbox -> Bool in
                if inbox.stopped { return true }
                inbox.stopping = true
                inbox.stopWaiters.append(continuation)
                return false
            }
            if alreadyStopped { continuation.resume() } else { wake() }
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: - Loop thread

    func run() {
        var pollSet: [pollfd] = []
        var order: [Connection] = []
        while true {
            pollSet.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            pollSet.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
            for connection in connections.values {
                var events: Int16 = 0
                if connection.wantsInput { events |= Int16(POLLIN) }
                if connection.pendingOutput > 0 { events |= Int16(POLLOUT) }
                pollSet.append(pollfd(fd: connection.fd, events: events, revents: 0))
                order.append(connection)
            }
            let ready = poll(&pollSet, nfds_t(pollSet.count), pollTimeout())
            if ready < 0 && errno != EINTR {
                logger.error("http server: poll failed", metadata: ["errno": "\(errno)"])
            }
            if pollSet[0].revents != 0 { drainWakePipe() }
            let (responses, stopping) = inbox.withLock { inbox in
                let responses = inbox.responses
                inbox.responses.removeAll()
                return (responses, inbox.stopping)
            }
            if stopping { break }
            for response in responses { deliver(response.connection, response.bytes, close: response.close) }
            if pollSet[1].revents != 0 { acceptAll() }
            for (index, connection) in order.enumerated() {
                let revents = pollSet[index + 2].revents
                guard revents != 0, connections[connection.id] != nil else { continue }
                handleReadiness(connection, revents: revents)
            }
            enforceDeadlines()
        }
        shutDown()
    }

    /// The nearest deadline of a connection, and what happens then.
    private func deadline(of connection: Connection) -> (ContinuousClock.Instant, Expiry)? {
        if let lingerSince = connection.lingerSince { return (lingerSince + Self.lingerTime, .close(.done)) }
        if connection.pendingOutput > 0 { return (connection.lastWriteProgress + limits.requestTimeout, .close(.slow)) }
        if connection.running != nil { return nil }
        if let requestSince = connection.requestSince { return (requestSince + limits.requestTimeout, .requestTimeout) }
        return (connection.lastActivity + limits.idleTimeout, .close(.idle))
    }

    private enum Expiry {
        case close(CloseReason)
        case requestTimeout
    }

    private func pollTimeout() -> Int32 {
        var earliest: ContinuousClock.Instant?
        for connection in connections.values {
            guard let (deadline, _) = deadline(of: connection) else { continue }
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        guard let earliest else { return -1 }
        let remaining = clock.now.duration(to: earliest)
        if remaining <= .zero { return 0 }
        let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(min(milliseconds, 60_000))
    }

    private func enforceDeadlines() {
        let now = clock.now
        for connection in Array(connections.values) {
            guard let (deadline, expiry) = deadline(of: connection), deadline <= now else { continue }
            switch expiry {
            case .close(let reason):
                close(connection, reason)
            case .requestTimeout:
                // Too slow to send one request (slowloris): say so, then close.
                statistics.mutex.withLock { $0.closedSlow += 1 }
                reject(connection, status: 408, reason: "the request did not arrive in time")
            }
        }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &scratch, scratch.count) > 0 {}
    }

    private func acceptAll() {
        while true {
            switch TCPSocket.accept(listener) {
            case .none:
                return
            case .failed(let code):
                // EMFILE and the like: the pending connection stays in the backlog; retry next round.
                logger.warning("http server: accept failed", metadata: ["errno": "\(code)"])
                return
            case .connection(let fd, let peer):
                guard connections.count < limits.maxConnections else {
                    let refusal = Self.serialize(.text(503, "too many connections"), head: false, close: true)
                    _ = refusal.withUnsafeBytes { TCPSocket.send(fd, $0) }
                    Glibc.close(fd)
                    statistics.mutex.withLock { $0.refusedOverLimit += 1 }
                    continue
                }
                let connection = Connection(id: nextID, fd: fd, peer: peer, now: clock.now)
                // A new connection owes its first request within the request timeout, not the
                // (longer) keep-alive idle time: connections that send nothing are let go soon.
                connection.requestSince = clock.now
                nextID += 1
                connections[connection.id] = connection
                let open = connections.count
                statistics.mutex.withLock {
                    $0.accepted += 1
                    $0.open = open
                }
            }
        }
    }

    private func handleReadiness(_ connection: Connection, revents: Int16) {
        if revents & Int16(POLLOUT) != 0 {
            flush(connection)
            guard connections[connection.id] != nil else { return }
        }
        if revents & Int16(POLLERR | POLLNVAL) != 0 || (revents & Int16(POLLHUP) != 0 && !connection.wantsInput) {
            // Gone entirely: nobody can read a response (and an unrequested HUP would spin the loop).
            close(connection, .peerClosed)
            return
        }
        if revents & Int16(POLLIN | POLLHUP) != 0 && connection.wantsInput { readAvailable(connection) }
    }

    private func readAvailable(_ connection: Connection) {
        let capacity = limits.maxHeaderBytes + limits.maxBodyBytes
        // A few reads per round keep one chatty client from starving the others.
        for _ in 0..<4 {
            let count = readBuffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
                close(connection, .peerClosed)
                return
            }
            if count == 0 {
                connection.readClosed = true
                break
            }
            connection.lastActivity = clock.now
            if connection.lingerSince != nil { continue }  // discarded
            if connection.requestSince == nil { connection.requestSince = clock.now }
            connection.input.append(contentsOf: readBuffer[0..<count])
            if connection.input.count >= capacity { break }
        }
        if connection.lingerSince != nil {
            if connection.readClosed { close(connection, .done) }
            return
        }
        advance(connection)
    }

    /// Takes the next complete request out of the input, if any, and starts its handler.
    private func advance(_ connection: Connection) {
        guard connections[connection.id] != nil, connection.running == nil, connection.pendingOutput == 0,
              !connection.closeAfterOutput else { return }
        if connection.head == nil {
            if connection.input.isEmpty {
                connection.requestSince = nil
                if connection.readClosed { close(connection, .peerClosed) }
                return
            }
            let found = RequestHead.end(in: connection.input, from: connection.headScanned)
            connection.headScanned = found == nil ? connection.input.count : 0
            guard let end = found else {
                if connection.input.count > limits.maxHeaderBytes {
                    reject(connection, status: 431, reason: "request head too large")
                } else if connection.readClosed {
                    close(connection, .peerClosed)
                }
                return
            }
            guard end <= limits.maxHeaderBytes + 4 else {
                reject(connection, status: 431, reason: "request head too large")
                return
            }
            do {
                connection.head = try RequestHead(parsing: connection.input[0..<end], maxBodyBytes: limits.maxBodyBytes)
                connection.bodyStart = end
                connection.sentContinue = false
            } catch {
                reject(connection, status: error.status, reason: "\(error)")
                return
            }
        }
        guard let head = connection.head else { return }
        let end = connection.bodyStart + head.contentLength
        guard connection.input.count >= end else {
            if connection.readClosed {
                close(connection, .peerClosed)
            } else if head.expectsContinue && !connection.sentContinue && connection.input.count == connection.bodyStart {
                connection.sentContinue = true
                queue(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            return
        }
        let request = HTTPServerRequest(
            method: head.method, target: head.target, headers: head.headers,
            body: Array(connection.input[connection.bodyStart..<end]), remoteAddress: connection.peer)
        connection.input.removeFirst(end)
        connection.head = nil
        connection.requestSince = nil
        statistics.mutex.withLock { $0.requests += 1 }
        let keepAlive = head.keepAlive && !connection.readClosed
        let isHead = head.method == "HEAD"
        let handler = self.handler
        let id = connection.id
        connection.running = Task(executorPreference: handlerExecutor) { [self] in
            let response = await handler(request)
            let close = !keepAlive || response.headers["connection"]?.lowercased() == "close"
            post(connection: id, bytes: Self.serialize(response, head: isHead, close: close), close: close)
        }
    }

    /// The server's own error answer; the connection closes after it.
    private func reject(_ connection: Connection, status: Int, reason: String) {
        logger.debug("http server refused a request", metadata: ["status": "\(status)", "reason": "\(reason)", "peer": "\(connection.peer)"])
        statistics.mutex.withLock { $0.rejected += 1 }
        connection.head = nil
        connection.input.removeAll()
        connection.headScanned = 0
        connection.requestSince = nil
        connection.closeAfterOutput = true
        queue(connection, Self.serialize(.text(status, HTTPServerResponse.reason(status)), head: false, close: true))
    }

    private func deliver(_ id: UInt64, _ bytes: [UInt8], close: Bool) {
        guard let connection = connections[id] else { return }
        connection.running = nil
        connection.closeAfterOutput = close
        queue(connection, bytes)
    }

    private func queue(_ connection: Connection, _ bytes: [UInt8]) {
        if connection.pendingOutput == 0 { connection.lastWriteProgress = clock.now }
        connection.output.append(contentsOf: bytes)
        flush(connection)
    }

    private func flush(_ connection: Connection) {
        while connection.pendingOutput > 0 {
            let sent = connection.output.withUnsafeBytes { raw in
                TCPSocket.send(connection.fd, UnsafeRawBufferPointer(rebasing: raw[connection.outputOffset...]))
            }
            if sent < 0 {
                close(connection, .peerClosed)
                return
            }
            if sent == 0 { return }
            connection.outputOffset += sent
            connection.lastActivity = clock.now
            connection.lastWriteProgress = connection.lastActivity
        }
        connection.output.removeAll(keepingCapacity: connection.output.capacity <= 1 << 16)
        connection.outputOffset = 0
        if connection.closeAfterOutput {
            // Shut our side, then read and drop what the client still sends until it closes
            // (or briefly): closing with unread input would reset the connection and could
            // destroy the response before the client read it.
            shutdown(connection.fd, Int32(SHUT_WR))
            connection.lingerSince = clock.now
            connection.input.removeAll()
            if connection.readClosed { close(connection, .done) }
            return
        }
        if connection.head == nil && connection.running == nil {
            connection.requestSince = connection.input.isEmpty ? nil : clock.now
            advance(connection)
        }
    }

    private func close(_ connection: Connection, _ reason: CloseReason) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        connection.running?.cancel()
        connection.running = nil
        // Counted before the descriptor closes, so whoever sees the close sees the count.
        let open = connections.count
        statistics.mutex.withLock { statistics in
            statistics.open = open
            switch reason {
            case .idle: statistics.closedIdle += 1
            case .slow: statistics.closedSlow += 1
            case .peerClosed, .done, .stopping: break
            }
        }
        Glibc.close(connection.fd)
        if reason == .slow {
            logger.notice("http server dropped a client that does not read its response", metadata: ["peer": "\(connection.peer)"])
        }
    }

    private func shutDown() {
        for connection in Array(connections.values) { close(connection, .stopping) }
        Glibc.close(listener)
        let waiters = inbox.withLock { inbox -> [CheckedContinuation<Void, Never>] in
            inbox.stopped = true
            inbox.responses.removeAll()
            let waiters = inbox.stopWaiters
            inbox.stopWaiters.removeAll()
            return waiters
        }
        // Handlers cancelled above may still be finishing: they end on the global executor.
        handlerExecutor.shutdown()
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Serialization

    /// Status line, the handler's headers, then `Content-Length`, `Date` and `Connection` as the
    /// server decides them; the body unless the request was HEAD.
    static func serialize(_ response: HTTPServerResponse, head: Bool, close: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status) \(HTTPServerResponse.reason(response.status))\r\n"
        for field in response.headers {
            let name = field.name.lowercased()
            if name == "content-length" || name == "connection" || name == "date" || name == "transfer-encoding" { continue }
            // A handler's header must not be able to split the response.
            guard !field.name.utf8.contains(where: { $0 < 33 || $0 == 127 || $0 == UInt8(ascii: ":") }),
                  !field.value.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { continue }
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Date: \(httpDate())\r\n"
        // 204 and 304 have no body, and 204 must not even say so (RFC 9110 §8.6).
        let bodiless = response.status == 204 || response.status == 304
        if response.status != 204 { text += "Content-Length: \(bodiless ? 0 : response.body.count)\r\n" }
        if close { text += "Connection: close\r\n" }
        text += "\r\n"
        var bytes = Array(text.utf8)
        if !head && !bodiless { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// The current time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
