import Foundation
import Glibc
@testable import HTTPServer

/// A blocking TCP client for tests, run off the cooperative pool; every read is bounded by a
/// receive timeout so a test fails instead of hanging.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init(port: UInt16, timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect failed: \(String(cString: strerror(errno)))")
        }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    private var buffer: [UInt8] = []

    /// Reads one response (head and Content-Length body); nil when the connection closed or
    /// timed out first.
    func readResponse() -> Response? {
        while true {
            if let end = RequestHead.end(in: buffer) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines.dropFirst() where line.contains(":") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while buffer.count < end + length {
                    guard fill() else { return nil }
                }
                let body = Array(buffer[end..<(end + length)])
                buffer.removeFirst(end + length)
                return Response(status: status, headers: headers, body: body)
            }
            guard fill() else { return nil }
        }
    }

    /// True when the server closed the connection (EOF or reset) before the timeout.
    func closedByServer() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &scratch, scratch.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    private func fill() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &scratch, scratch.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: scratch[0..<count])
        return true
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A server on 127.0.0.1 with a free port, stopped by the caller.
func startServer(
    limits: HTTPServer.Limits = HTTPServer.Limits(), handler: @escaping HTTPServer.Handler
) throws -> (HTTPServer, UInt16) {
    let server = HTTPServer(limits: limits, handler: handler)
    let bound = try server.start(ListenAddress(host: "127.0.0.1", port: 0))
    return (server, bound.port)
}

/// Echoes the method, path and body.
let echo: HTTPServer.Handler = { request in
    HTTPServerResponse(status: 200, headers: HTTPFields([("Content-Type", "text/plain")]),
                       body: Array("\(request.method) \(request.path) ".utf8) + request.body)
}
