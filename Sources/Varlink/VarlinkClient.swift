import Dispatch

/// An async Varlink client over one connection. Calls on one client are serialized (Varlink has
/// no multiplexing); the blocking socket I/O runs on a private dispatch queue, never on the
/// cooperative thread pool, and cancelling a waiting task shuts the connection down.
public final class VarlinkClient: Sendable {
    /// The connection, touched only on `queue`; `shutdown()` (thread-safe) is the exception.
    private final class Box: @unchecked Sendable {
        let connection: VarlinkConnection
        init(_ connection: VarlinkConnection) { self.connection = connection }
    }

    public let path: String
    private let box: Box
    private let queue: DispatchQueue

    private init(path: String, box: Box, queue: DispatchQueue) {
        self.path = path
        self.box = box
        self.queue = queue
    }

    /// Connects to the socket at `path`.
    public static func connect(path: String) async throws(VarlinkClientError) -> VarlinkClient {
        let queue = DispatchQueue(label: "varlink-client")
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Box, VarlinkClientError>, Never>) in
            queue.async {
                continuation.resume(returning: Result { () throws(VarlinkClientError) in Box(try VarlinkConnection(path: path)) })
            }
        }
        return VarlinkClient(path: path, box: try result.get(), queue: queue)
    }

    /// Calls `method` and decodes its single reply; a Varlink error reply throws `.remote`.
    public func call<P: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String, _ parameters: P, returning type: R.Type = R.self, oneway: Bool = false
    ) async throws(VarlinkClientError) -> R {
        let box = self.box
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<R, VarlinkClientError>, Never>) in
                queue.async {
                    continuation.resume(returning: Result { () throws(VarlinkClientError) -> R in
                        if oneway {
                            try box.connection.send(method: method, parameters: parameters, oneway: true)
                            return try JSONValueDecoding.emptyObject(as: R.self)
                        }
                        return try box.connection.call(method, parameters, returning: R.self)
                    })
                }
            }
        } onCancel: {
            box.connection.shutdown()
        }
        return try result.get()
    }

    /// Calls `method` with `more` and streams every reply until the final one. The stream
    /// throws `VarlinkClientError` (`.remote` for an error reply); ending the iteration early
    /// shuts the connection down, which tells the server to stop producing.
    public func callMore<P: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String, _ parameters: P, returning type: R.Type = R.self
    ) -> AsyncThrowingStream<R, any Error> {
        let box = self.box
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { termination in
                if case .cancelled = termination { box.connection.shutdown() }
            }
            queue.async {
                do throws(VarlinkClientError) {
                    try box.connection.send(method: method, parameters: parameters, more: true)
                    while true {
                        let reply = try box.connection.receive()
                        continuation.yield(try reply.parameters(as: R.self))
                        if !reply.continues { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// Closes the connection; calls in flight end with `.disconnected`.
    public func close() {
        box.connection.shutdown()
    }
}

enum JSONValueDecoding {
    /// `R` decoded from `{}` (the "reply" of a oneway call).
    static func emptyObject<R: Decodable>(as type: R.Type) throws(VarlinkClientError) -> R {
        try VarlinkReply(continues: false, message: Array(#"{"parameters":{}}"#.utf8)).parameters(as: R.self)
    }
}
