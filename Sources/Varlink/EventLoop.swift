import Glibc
import Logging
import Synchronization
import TaskThreads

/// The server's loop thread. Everything but `inbox`, `stopWaiters` and the wake-up pipe's write
/// end is touched only on that thread, which is what makes the unchecked Sendable sound: tasks
/// and `stop()` talk to the loop only through `post` and `stop`.
final class EventLoop: @unchecked Sendable {
    /// What tasks hand back to the loop.
    enum Event {
        case output(connection: UInt64, bytes: [UInt8])
        case finished(connection: UInt64)
        case violation(connection: UInt64, reason: String)
    }

    private struct Inbox {
        var events: [Event] = []
        var stopping = false
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Per-connection state, loop thread only.
    private final class Connection {
        let id: UInt64
        let fd: Int32
        let peer: VarlinkPeer
        let slot: ConnectionAdmission.Slot
        let acceptedAt: ContinuousClock.Instant
        /// A complete message has arrived; until then `firstMessageTimeout` applies.
        var sentMessage = false
        var framer: MessageFramer
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var running: Task<Void, Never>?
        var output: [UInt8] = []
        var outputOffset = 0
        var readClosed = false
        var lastActivity: ContinuousClock.Instant
        /// The last time buffered output moved (or began to wait); a stalled reader is dropped.
        var lastWriteProgress: ContinuousClock.Instant
        /// When the unfinished message in the framer began; a message must finish in time.
        var partialSince: ContinuousClock.Instant?

        init(
            id: UInt64, fd: Int32, peer: VarlinkPeer, slot: ConnectionAdmission.Slot, maxMessageBytes: Int,
            now: ContinuousClock.Instant
        ) {
            self.id = id
            self.fd = fd
            self.peer = peer
            self.slot = slot
            self.acceptedAt = now
            self.framer = MessageFramer(maxMessageBytes: maxMessageBytes)
            self.lastActivity = now
            self.lastWriteProgress = now
        }

        var pendingOutput: Int { output.count - outputOffset }
        var isIdle: Bool { running == nil && queue.isEmpty && pendingOutput == 0 }

        /// When this connection is to be closed unless something happens first: no complete
        /// message in time after accept, idle for the timeout, a message left unfinished that
        /// long, or output that has not moved that long.
        func deadline(_ limits: VarlinkServer.Limits) -> (ContinuousClock.Instant, CloseReason)? {
            let timeout = limits.idleTimeout
            var candidates: [(ContinuousClock.Instant, CloseReason)] = []
            if !sentMessage { candidates.append((acceptedAt + limits.firstMessageTimeout, .silent)) }
            if isIdle { candidates.append((lastActivity + timeout, .idle)) }
            if let partialSince { candidates.append((partialSince + timeout, .idle)) }
            if pendingOutput > 0 { candidates.append((lastWriteProgress + timeout, .slowReader)) }
            return candidates.min { $0.0 < $1.0 }
        }
    }

    fileprivate enum CloseReason {
        case peerClosed, idle, silent, oversized, malformed, slowReader, stopping
    }

    private let inbox = Mutex(Inbox())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let listener: Int32
    private let ownedPath: String?
    private let service: VarlinkService
    private let limits: VarlinkServer.Limits
    private let logger: Logger
    private let statistics: StatisticsBox
    private let clock = ContinuousClock()
    /// Where calls run: the server's own threads, not the global pool (see `VarlinkServer`).
    private let callExecutor: ThreadPoolExecutor

    private var connections: [UInt64: Connection] = [:]
    private var admission: ConnectionAdmission
    private var refusalLog: RefusalLogLimiter
    private var nextID: UInt64 = 1
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(
        listener: Int32, ownedPath: String?, service: VarlinkService, limits: VarlinkServer.Limits,
        admission: ConnectionAdmission, logger: Logger, statistics: StatisticsBox
    ) throws(VarlinkSocketError) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw VarlinkSocketError(operation: "pipe", code: errno) }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        self.listener = listener
        self.ownedPath = ownedPath
        self.service = service
        self.limits = limits
        self.admission = admission
        self.refusalLog = RefusalLogLimiter(interval: limits.refusalLogInterval)
        self.logger = logger
        self.statistics = statistics
        self.callExecutor = ThreadPoolExecutor(name: "varlink-call", threads: limits.callThreads)
    }

    /// Marks a loop that never ran as stopped (the listener belongs to the caller).
    func discard() {
        inbox.withLock { $0.stopped = true }
        callExecutor.shutdown()
    }

    deinit {
        // Only now: a task finishing after stop() may still post, and writing to a pipe whose
        // read end is closed would raise SIGPIPE.
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    // MARK: - Other threads

    /// Hands an event to the loop; wakes it only when the inbox was empty (it drains the pipe
    /// before taking the inbox, so no wake-up is lost).
    func post(_ event: Event) {
        let wasEmpty = inbox.withLock { inbox -> Bool in
            if inbox.stopped { return false }
            let wasEmpty = inbox.events.isEmpty
            inbox.events.append(event)
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
                if !connection.readClosed && connection.queuedBytes <= limits.maxMessageBytes { events |= Int16(POLLIN) }
                if connection.pendingOutput > 0 { events |= Int16(POLLOUT) }
                pollSet.append(pollfd(fd: connection.fd, events: events, revents: 0))
                order.append(connection)
            }
            let ready = poll(&pollSet, nfds_t(pollSet.count), pollTimeout())
            if ready < 0 && errno != EINTR {
                logger.error("varlink server: poll failed", metadata: ["errno": "\(errno)"])
            }
            if pollSet[0].revents != 0 { drainWakePipe() }
            let (events, stopping) = inbox.withLock { inbox -> ([Event], Bool) in
                let events = inbox.events
                inbox.events.removeAll()
                return (events, inbox.stopping)
            }
            if stopping { break }
            for event in events { apply(event) }
            if pollSet[1].revents != 0 { acceptAll() }
            for (index, connection) in order.enumerated() {
                let revents = pollSet[index + 2].revents
                guard revents != 0, connections[connection.id] != nil else { continue }
                handleReadiness(connection, revents: revents)
            }
            closeIdleConnections()
        }
        shutDown()
    }

    private func pollTimeout() -> Int32 {
        var earliest: ContinuousClock.Instant?
        for connection in connections.values {
            guard let (deadline, _) = connection.deadline(limits) else { continue }
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        guard let earliest else { return -1 }
        let remaining = clock.now.duration(to: earliest)
        if remaining <= .zero { return 0 }
        let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(min(milliseconds, 60_000))
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &scratch, scratch.count) > 0 {}
    }

    private func apply(_ event: Event) {
        switch event {
        case .output(let id, let bytes):
            guard let connection = connections[id] else { return }
            if connection.pendingOutput == 0 { connection.lastWriteProgress = clock.now }
            connection.output.append(contentsOf: bytes)
            connection.lastActivity = clock.now
            flush(connection)
            if connections[id] != nil && connection.pendingOutput > limits.maxPendingOutputBytes {
                close(connection, .slowReader)
            }
        case .finished(let id):
            guard let connection = connections[id] else { return }
            connection.running = nil
            connection.lastActivity = clock.now
            dispatchNext(connection)
            closeIfDone(connection)
        case .violation(let id, let reason):
            guard let connection = connections[id] else { return }
            logger.debug("varlink client broke the protocol", metadata: ["reason": "\(reason)", "pid": "\(connection.peer.processID)"])
            close(connection, .malformed)
        }
    }

    private func acceptAll() {
        while true {
            switch Socket.accept(listener) {
            case .none:
                return
            case .failed(let code):
                // EMFILE and the like: the pending connection stays in the backlog; retry next round.
                logger.warning("varlink server: accept failed", metadata: ["errno": "\(code)"])
                return
            case .connection(let fd):
                guard let peer = Socket.peer(of: fd) else {
                    Glibc.close(fd)
                    statistics.mutex.withLock { $0.refusedOverLimit += 1 }
                    continue
                }
                let slot: ConnectionAdmission.Slot
                switch admission.admit(peer) {
                case .success(let taken):
                    slot = taken
                case .failure(let refusal):
                    // Closed at once: a refused client learns it on its first read or write.
                    Glibc.close(fd)
                    refused(peer, refusal)
                    continue
                }
                let connection = Connection(
                    id: nextID, fd: fd, peer: peer, slot: slot, maxMessageBytes: limits.maxMessageBytes, now: clock.now)
                nextID += 1
                connections[connection.id] = connection
                statistics.mutex.withLock {
                    $0.accepted += 1
                    $0.open = connections.count
                }
            }
        }
    }

    private func refused(_ peer: VarlinkPeer, _ refusal: ConnectionAdmission.Refusal) {
        statistics.mutex.withLock { statistics in
            statistics.refusedOverLimit += 1
            switch refusal {
            case .userShare: statistics.refusedOverUserShare += 1
            case .reserved: statistics.refusedForReserve += 1
            case .full: break
            }
        }
        guard let heldBack = refusalLog.admitLine(for: peer.userID, now: clock.now) else { return }
        var metadata: Logger.Metadata = [
            "reason": "\(refusal)", "uid": "\(peer.userID)", "pid": "\(peer.processID)",
            "open": "\(admission.open)", "open_of_uid": "\(admission.openConnections(ofUser: peer.userID))",
        ]
        if heldBack > 0 { metadata["refusals_not_logged"] = "\(heldBack)" }
        logger.notice("varlink server refused a connection", metadata: metadata)
    }

    private func handleReadiness(_ connection: Connection, revents: Int16) {
        if revents & Int16(POLLOUT) != 0 {
            flush(connection)
            guard connections[connection.id] != nil else { return }
        }
        if revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            // The peer is gone entirely: nobody can read a reply, so stop now (cancelling a stream).
            close(connection, .peerClosed)
            return
        }
        if revents & Int16(POLLIN) != 0 { readAvailable(connection) }
    }

    private func readAvailable(_ connection: Connection) {
        // A few reads per round keep one chatty client from starving the others.
        for _ in 0..<4 where !connection.readClosed && connection.queuedBytes <= limits.maxMessageBytes {
            let count = readBuffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
                close(connection, .peerClosed)
                return
            }
            if count == 0 {
                // Half-closed: answer what was asked, then close.
                connection.readClosed = true
                break
            }
            connection.lastActivity = clock.now
            do {
                let messages = try connection.framer.append(readBuffer[0..<count])
                if !messages.isEmpty { connection.sentMessage = true }
                for message in messages {
                    connection.queue.append(message)
                    connection.queuedBytes += message.count
                }
                if connection.framer.bufferedBytes == 0 {
                    connection.partialSince = nil
                } else if connection.partialSince == nil || !messages.isEmpty {
                    connection.partialSince = clock.now
                }
            } catch {
                close(connection, .oversized)
                return
            }
        }
        dispatchNext(connection)
        closeIfDone(connection)
    }

    /// Calls on one connection run one at a time, so replies leave in request order.
    private func dispatchNext(_ connection: Connection) {
        guard connection.running == nil, !connection.queue.isEmpty else { return }
        let message = connection.queue.removeFirst()
        connection.queuedBytes -= message.count
        statistics.mutex.withLock { $0.calls += 1 }
        let sink = LoopSink(loop: self, connection: connection.id)
        let service = self.service
        let peer = connection.peer
        connection.running = Task(executorPreference: callExecutor) {
            await service.handle(message: message, peer: peer, sink: sink)
        }
    }

    private func flush(_ connection: Connection) {
        while connection.pendingOutput > 0 {
            let sent = connection.output.withUnsafeBytes { raw in
                Socket.send(connection.fd, UnsafeRawBufferPointer(rebasing: raw[connection.outputOffset...]))
            }
            if sent < 0 {
                close(connection, .peerClosed)
                return
            }
            if sent == 0 { break }
            connection.outputOffset += sent
            connection.lastActivity = clock.now
            connection.lastWriteProgress = connection.lastActivity
        }
        if connection.outputOffset == connection.output.count {
            connection.output.removeAll(keepingCapacity: connection.output.capacity <= 1 << 16)
            connection.outputOffset = 0
        } else if connection.outputOffset >= 1 << 16 {
            connection.output.removeFirst(connection.outputOffset)
            connection.outputOffset = 0
        }
        closeIfDone(connection)
    }

    private func closeIfDone(_ connection: Connection) {
        if connection.readClosed && connection.isIdle && connections[connection.id] != nil {
            close(connection, .peerClosed)
        }
    }

    private func closeIdleConnections() {
        let now = clock.now
        for connection in Array(connections.values) {
            if let (deadline, reason) = connection.deadline(limits), deadline <= now {
                close(connection, reason)
            }
        }
    }

    private func close(_ connection: Connection, _ reason: CloseReason) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        admission.release(connection.slot)
        connection.running?.cancel()
        connection.running = nil
        Glibc.close(connection.fd)
        let open = connections.count
        statistics.mutex.withLock { statistics in
            statistics.open = open
            switch reason {
            case .idle: statistics.closedIdle += 1
            case .silent: statistics.closedSilent += 1
            case .oversized: statistics.closedOversized += 1
            case .malformed: statistics.closedMalformed += 1
            case .slowReader: statistics.closedSlowReader += 1
            case .peerClosed, .stopping: break
            }
        }
        switch reason {
        case .slowReader, .oversized:
            logger.notice("varlink server dropped a client", metadata: [
                "reason": "\(reason == .slowReader ? "does not read its replies" : "message too large")",
                "pid": "\(connection.peer.processID)", "uid": "\(connection.peer.userID)",
            ])
        case .idle, .silent, .malformed, .peerClosed, .stopping:
            break
        }
    }

    private func shutDown() {
        for connection in Array(connections.values) { close(connection, .stopping) }
        Glibc.close(listener)
        if let ownedPath { unlink(ownedPath) }
        let waiters = inbox.withLock { inbox -> [CheckedContinuation<Void, Never>] in
            inbox.stopped = true
            inbox.events.removeAll()
            let waiters = inbox.stopWaiters
            inbox.stopWaiters.removeAll()
            return waiters
        }
        // Calls cancelled above may still be finishing: they end on the global executor.
        callExecutor.shutdown()
        for waiter in waiters { waiter.resume() }
    }
}

/// Routes one call's replies to its connection on the loop thread.
private struct LoopSink: ReplySink {
    let loop: EventLoop
    let connection: UInt64

    func send(_ reply: [UInt8]) { loop.post(.output(connection: connection, bytes: reply)) }
    func finish() { loop.post(.finished(connection: connection)) }
    func violate(_ reason: String) { loop.post(.violation(connection: connection, reason: reason)) }
}
