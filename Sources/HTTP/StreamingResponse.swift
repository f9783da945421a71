import Synchronization

extension HTTPClient {
    /// Performs `request` and returns as soon as the response's first body bytes (or its end)
    /// arrive, with the body to read in parts as the server sends it: for server-sent events
    /// and other long answers that should be shown while they are written.
    ///
    /// The request's limits apply to the whole stream: `timeout` bounds it end to end and
    /// `lowSpeedLimit` catches a server that goes quiet, before its first byte or later.
    /// `maxResponseBytes` bounds what has arrived but is not read yet (memory stays bounded
    /// however long the stream); past it the transfer is aborted with
    /// ``HTTPError/Kind/responseTooLarge``. Cancelling the calling task, or dropping the
    /// response, aborts the transfer.
    ///
    /// `silenceTimeout`, when given, fails the stream with ``HTTPError/Kind/stalled`` once the
    /// server has sent nothing for that long (before the first byte or between two), a sharper
    /// watch than libcurl's low-speed limit, which averages over several seconds.
    public func stream(_ request: HTTPRequest, silenceTimeout: Duration? = nil) async throws(HTTPError) -> HTTPStreamingResponse {
        if Task.isCancelled { throw HTTPError(.cancelled, url: request.url) }
        let channel = BodyChannel(limit: max(1, request.maxResponseBytes))
        let transfer = try Transfer.make(request, configuration: configuration, channel: channel)
        let driver = self.driver
        if !driver.submit(transfer) {
            throw HTTPError(.cancelled, url: transfer.url)
        }
        if let silenceTimeout {
            let url = transfer.url
            Task {
                while let deadline = channel.silenceDeadline(after: silenceTimeout) {
                    if ContinuousClock.now >= deadline {
                        let seconds = silenceTimeout.components.seconds
                        channel.fail(HTTPError(.stalled, url: url, detail: "nothing received for \(seconds) s"))
                        driver.cancel(transfer)
                        return
                    }
                    try? await Task.sleep(until: deadline)
                }
            }
        }
        let head = await withTaskCancellationHandler {
            await channel.head()
        } onCancel: {
            driver.cancel(transfer)
        }
        switch head {
        case .success(let head):
            return HTTPStreamingResponse(status: head.status, headers: head.headers, channel: channel) {
                driver.cancel(transfer)
            }
        case .failure(let error):
            throw error
        }
    }
}

/// A response whose body is read in parts as it arrives (see ``HTTPClient/stream(_:)``).
public final class HTTPStreamingResponse: Sendable {
    /// Status code of the final response.
    public let status: Int
    /// Header fields of the final response.
    public let headers: HTTPHeaders
    private let channel: BodyChannel
    private let abort: @Sendable () -> Void

    init(status: Int, headers: HTTPHeaders, channel: BodyChannel, abort: @escaping @Sendable () -> Void) {
        self.status = status
        self.headers = headers
        self.channel = channel
        self.abort = abort
    }

    deinit {
        abort()
    }

    /// The next bytes of the body, in order; nil at its end. Throws when the transfer failed
    /// (timeout, lost connection, …) or the calling task was cancelled. Read from one task at
    /// a time.
    public func nextChunk() async throws(HTTPError) -> [UInt8]? {
        let abort = self.abort
        let channel = self.channel
        let result = await withTaskCancellationHandler {
            await channel.next()
        } onCancel: {
            abort()
        }
        return try result.get()
    }

    /// Stops the transfer; later reads end with ``HTTPError/Kind/cancelled``.
    public func cancel() {
        abort()
    }

    /// The rest of the body, at most `limit` bytes (for reading an error answer's text).
    public func collect(upTo limit: Int) async throws(HTTPError) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < limit, let chunk = try await nextChunk() {
            bytes += chunk.prefix(limit - bytes.count)
        }
        return bytes
    }
}

/// The hand-over between the driver thread, which delivers body bytes, and the reader's task.
/// Unread bytes are capped: a reader that stops reading makes the transfer fail, never memory grow.
final class BodyChannel: Sendable {
    struct Head: Sendable {
        var status: Int
        var headers: HTTPHeaders
    }

    private struct State {
        var head: Head?
        var chunks: [[UInt8]] = []
        var buffered = 0
        /// nil while the transfer runs; the outcome once it ended.
        var end: HTTPError?? = nil
        var headWaiter: CheckedContinuation<Result<Head, HTTPError>, Never>?
        var chunkWaiter: CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>?
        /// When bytes last arrived (or the transfer started).
        var lastActivity = ContinuousClock.now
    }

    private let limit: Int
    private let state: Mutex<State>

    init(limit: Int) {
        self.limit = limit
        state = Mutex(State())
    }

    /// Driver thread: body bytes arrived. False when the unread bytes would pass the cap.
    func deliver(_ bytes: [UInt8], status: Int, headers: HTTPHeaders) -> Bool {
        let (headWaiter, chunkWaiter, accepted): (CheckedContinuation<Result<Head, HTTPError>, Never>?, CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>?, Bool) = state.withLock { state in
            state.lastActivity = .now
            var headWaiter: CheckedContinuation<Result<Head, HTTPError>, Never>?
            if state.head == nil {
                state.head = Head(status: status, headers: headers)
                headWaiter = state.headWaiter
                state.headWaiter = nil
            }
            if let waiter = state.chunkWaiter {
                state.chunkWaiter = nil
                return (headWaiter, waiter, true)
            }
            guard state.buffered + bytes.count <= limit else { return (headWaiter, nil, false) }
            state.chunks.append(bytes)
            state.buffered += bytes.count
            return (headWaiter, nil, true)
        }
        headWaiter?.resume(returning: .success(Head(status: status, headers: headers)))
        chunkWaiter?.resume(returning: .success(bytes))
        return accepted
    }

    /// Driver thread: the transfer ended. The first end (this or ``fail(_:)``) is the one kept.
    func finish(_ result: Result<HTTPResponse, HTTPError>) {
        switch result {
        case .success(let response): end(nil, head: Head(status: response.status, headers: response.headers))
        case .failure(let failure): end(failure, head: nil)
        }
    }

    /// Ends the stream with `error` now (the watchdog's verdict), before libcurl's own.
    func fail(_ error: HTTPError) {
        end(error, head: nil)
    }

    /// When the stream counts as silent if nothing more arrives; nil once it ended.
    func silenceDeadline(after timeout: Duration) -> ContinuousClock.Instant? {
        state.withLock { state in state.end == nil ? state.lastActivity + timeout : nil }
    }

    private func end(_ outcome: HTTPError?, head finalHead: Head?) {
        let (headWaiter, chunkWaiter, head, error) = state.withLock { state in
            if state.end == nil { state.end = .some(outcome) }
            let error = state.end ?? nil
            if state.head == nil, error == nil, let finalHead { state.head = finalHead }
            let waiters = (state.headWaiter, state.chunkWaiter, state.head, error)
            state.headWaiter = nil
            state.chunkWaiter = nil
            return waiters
        }
        if let headWaiter {
            if let head { headWaiter.resume(returning: .success(head)) } else { headWaiter.resume(returning: .failure(error ?? HTTPError(.other, url: ""))) }
        }
        if let chunkWaiter {
            if let error { chunkWaiter.resume(returning: .failure(error)) } else { chunkWaiter.resume(returning: .success(nil)) }
        }
    }

    /// The status and headers, once the body starts (or the transfer ends).
    func head() async -> Result<Head, HTTPError> {
        await withCheckedContinuation { continuation in
            let ready: Result<Head, HTTPError>? = state.withLock { state in
                if let head = state.head { return .success(head) }
                if let end = state.end { return .failure(end ?? HTTPError(.other, url: "", detail: "the response ended before it began")) }
                state.headWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The next unread bytes; nil at the end.
    func next() async -> Result<[UInt8]?, HTTPError> {
        await withCheckedContinuation { continuation in
            let ready: Result<[UInt8]?, HTTPError>? = state.withLock { state in
                if !state.chunks.isEmpty {
                    let chunk = state.chunks.removeFirst()
                    state.buffered -= chunk.count
                    return .success(chunk)
                }
                if let end = state.end {
                    if let error = end { return .failure(error) }
                    return .success(nil)
                }
                // One reader at a time: a second waiter would leave the first never resumed.
                guard state.chunkWaiter == nil else {
                    return .failure(HTTPError(.other, url: "", detail: "the body is read by two tasks at once"))
                }
                state.chunkWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
