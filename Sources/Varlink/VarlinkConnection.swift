import Foundation
import Glibc
import StreamingJSON

/// Why a client call failed.
public enum VarlinkClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket could not be reached (no such file, refused, permission).
    case cannotConnect(VarlinkSocketError)
    /// The server closed the connection before the reply.
    case disconnected
    case timedOut
    /// The server sent something that is not a Varlink reply, or a reply of an unexpected shape.
    case protocolViolation(String)
    /// The server answered with a Varlink error.
    case remote(VarlinkError)
    /// Reading or writing the socket failed.
    case io(VarlinkSocketError)

    public var description: String {
        switch self {
        case .cannotConnect(let error): "cannot connect: \(error)"
        case .disconnected: "the server closed the connection"
        case .timedOut: "timed out waiting for the server"
        case .protocolViolation(let reason): "unexpected reply: \(reason)"
        case .remote(let error): error.description
        case .io(let error): error.description
        }
    }
}

/// One reply as received.
public struct VarlinkReply: Sendable {
    /// More replies to the same call follow.
    public let continues: Bool
    let message: [UInt8]

    /// Decodes the reply's `parameters` (absent ones decode as `{}`).
    public func parameters<T: Decodable>(as type: T.Type = T.self) throws(VarlinkClientError) -> T {
        do {
            if let parameters = try JSONDecoder().decode(ParametersEnvelope<T>.self, from: Data(message)).parameters { return parameters }
            return try JSONDecoder().decode(T.self, from: Data("{}".utf8))
        } catch {
            throw .protocolViolation("reply parameters do not match \(T.self): \(error)")
        }
    }
}

/// The members of a reply that say what it is; `parameters` is left undecoded.
private struct ReplyHeader: Decodable {
    let continues: Bool?
    let error: String?
}

/// A whole reply decoded in one pass: the error's name, or the parameters as `T` (absent ones
/// decode as `{}`).
private struct ReplyEnvelope<T: Decodable>: Decodable {
    enum Content {
        case error(String)
        case parameters(T, continues: Bool)
    }

    enum Failure: Error { case notAReply }

    let content: Content

    private enum CodingKeys: String, CodingKey { case continues, error, parameters }

    init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<CodingKeys>
        do {
            container = try decoder.container(keyedBy: CodingKeys.self)
        } catch {
            throw Failure.notAReply
        }
        let error: String?
        let continues: Bool?
        do {
            error = try container.decodeIfPresent(String.self, forKey: .error)
            continues = try container.decodeIfPresent(Bool.self, forKey: .continues)
        } catch {
            throw Failure.notAReply
        }
        if let error {
            content = .error(error)
        } else if let parameters = try container.decodeIfPresent(T.self, forKey: .parameters) {
            content = .parameters(parameters, continues: continues ?? false)
        } else {
            content = .parameters(try JSONDecoder().decode(T.self, from: Data("{}".utf8)), continues: continues ?? false)
        }
    }
}

/// A blocking client connection, for one thread at a time. `VarlinkClient` wraps it for async use.
public final class VarlinkConnection {
    public let path: String
    let fd: Int32
    private var framer: MessageFramer
    private var received: [[UInt8]] = []
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Connects to the socket at `path`.
    public init(path: String, maxMessageBytes: Int = 16 << 20) throws(VarlinkClientError) {
        self.path = path
        do {
            fd = try Socket.connect(path: path)
        } catch {
            throw .cannotConnect(error)
        }
        framer = MessageFramer(maxMessageBytes: maxMessageBytes)
    }

    deinit {
        close(fd)
    }

    /// Ends the connection in both directions; a `receive` blocked on another thread returns
    /// `.disconnected`. Safe from any thread.
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    private struct Call<P: Encodable>: Encodable {
        let method: String
        let parameters: P
        let more: Bool?
        let oneway: Bool?
    }

    /// Sends one call.
    public func send(method: String, parameters: some Encodable, more: Bool = false, oneway: Bool = false) throws(VarlinkClientError) {
        var bytes: [UInt8]
        do {
            bytes = try StreamingJSONEncoder.encode(Call(
                method: method, parameters: parameters, more: more ? true : nil, oneway: oneway ? true : nil))
        } catch {
            throw .protocolViolation("cannot encode the parameters of \(method): \(error)")
        }
        bytes.append(0)
        try sendAll(bytes)
    }

    /// Sends bytes as they are (tests use it to send malformed messages).
    public func sendRaw(_ bytes: [UInt8]) throws(VarlinkClientError) {
        try sendAll(bytes)
    }

    private func sendAll(_ bytes: [UInt8]) throws(VarlinkClientError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .disconnected }
                throw .io(VarlinkSocketError(operation: "send", path: path, code: errno))
            }
            offset += sent
        }
    }

    /// The next reply; an error reply is thrown as `.remote`. With a timeout, waits at most that long.
    /// Only `continues` and `error` are decoded here; the parameters wait for
    /// ``VarlinkReply/parameters(as:)`` (error parameters are decoded only for an error).
    public func receive(timeout: Duration? = nil) throws(VarlinkClientError) -> VarlinkReply {
        let message = try nextMessage(deadline: timeout.map { ContinuousClock.now + $0 })
        let header: ReplyHeader
        do {
            header = try JSONDecoder().decode(ReplyHeader.self, from: Data(message))
        } catch {
            throw .protocolViolation("not a Varlink reply")
        }
        if let error = header.error {
            throw .remote(Self.remoteError(error, message: message))
        }
        return VarlinkReply(continues: header.continues ?? false, message: message)
    }

    /// Sends a call and waits for its single reply, decoded in one pass over the message.
    public func call<R: Decodable>(
        _ method: String, _ parameters: some Encodable, returning type: R.Type = R.self, timeout: Duration? = nil
    ) throws(VarlinkClientError) -> R {
        try send(method: method, parameters: parameters)
        let message = try nextMessage(deadline: timeout.map { ContinuousClock.now + $0 })
        let reply: ReplyEnvelope<R>
        do {
            reply = try JSONDecoder().decode(ReplyEnvelope<R>.self, from: Data(message))
        } catch ReplyEnvelope<R>.Failure.notAReply {
            throw .protocolViolation("not a Varlink reply")
        } catch {
            throw .protocolViolation("reply parameters do not match \(R.self): \(error)")
        }
        switch reply.content {
        case .error(let name): throw .remote(Self.remoteError(name, message: message))
        case .parameters(let parameters, let continues):
            if continues { throw .protocolViolation("\(method) streamed replies without `more`") }
            return parameters
        }
    }

    /// The error a reply names, with its parameters (decoded as JSON values, which only error
    /// replies pay for).
    private static func remoteError(_ name: String, message: [UInt8]) -> VarlinkError {
        struct ErrorParameters: Decodable { let parameters: [String: JSONValue]? }
        let parameters = (try? JSONDecoder().decode(ErrorParameters.self, from: Data(message)))?.parameters
        return VarlinkError(name, parameters: parameters ?? [:])
    }

    private func nextMessage(deadline: ContinuousClock.Instant?) throws(VarlinkClientError) -> [UInt8] {
        while received.isEmpty {
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero { throw .timedOut }
                let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, Int32(min(milliseconds, 3_600_000)))
                if ready < 0 && errno != EINTR { throw .io(VarlinkSocketError(operation: "poll", path: path, code: errno)) }
                if ready <= 0 { continue }
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { throw .disconnected }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { throw .disconnected }
                throw .io(VarlinkSocketError(operation: "recv", path: path, code: errno))
            }
            do {
                received.append(contentsOf: try framer.append(buffer[0..<count]))
            } catch {
                throw .protocolViolation("reply larger than \(framer.maxMessageBytes) bytes")
            }
        }
        return received.removeFirst()
    }
}
