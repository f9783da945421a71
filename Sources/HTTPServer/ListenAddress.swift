import Glibc

/// An IP literal and a TCP port to listen on: `127.0.0.1:8765` or `[::1]:8765`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The IP literal, without brackets.
    public var host: String
    /// The TCP port; 0 only before binding (a free port).
    public var port: UInt16

    /// Why a textual address was refused; the message names the rule broken.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// `host` must be an IPv4 or IPv6 literal (no names: binding must not depend on DNS).
    /// Port 0 asks the kernel for a free port (tests); `init(parsing:)` refuses it.
    public init(host: String, port: UInt16) throws(ParseError) {
        guard Self.family(of: host) != nil else {
            throw ParseError(description: "“\(host)” is not an IPv4 or IPv6 address literal (e.g. 127.0.0.1 or [::1])")
        }
        self.host = host
        self.port = port
    }

    /// Parses `ADDRESS:PORT`, with an IPv6 address in brackets; the port is 1-65535.
    public init(parsing text: String) throws(ParseError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(description: "“\(text)”: an IPv6 address must be closed with ]")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(description: "“\(text)”: expected [ADDRESS]:PORT") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ParseError(description: "“\(text)”: expected ADDRESS:PORT, e.g. 127.0.0.1:8765 or [::1]:8765")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), portText.allSatisfy(\.isASCII), (1...65_535).contains(port) else {
            throw ParseError(description: "“\(text)”: the port must be a number from 1 to 65535")
        }
        try self.init(host: String(host), port: UInt16(port))
    }

    /// Whether `host` is an IPv6 literal.
    public var isIPv6: Bool { Self.family(of: host) == AF_INET6 }

    /// `127.0.0.1:8765` or `[::1]:8765`.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func family(of host: String) -> Int32? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return AF_INET }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return AF_INET6 }
        return nil
    }
}

/// A failed socket call, with the errno text.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, e.g. `bind 127.0.0.1:8765`.
    public var operation: String
    /// The errno value.
    public var code: Int32

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// The TCP calls the server makes.
enum TCPSocket {
    /// A non-blocking listening socket bound to `address`, and the port actually bound.
    static func listen(_ address: ListenAddress, backlog: Int32) throws(HTTPServerError) -> (fd: Int32, port: UInt16) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(operation: "socket", code: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.isIPv6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var storage = sockaddr_storage()
        let length: socklen_t
        if address.isIPv6 {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = address.port.bigEndian
            _ = inet_pton(AF_INET6, address.host, &v6.sin6_addr)
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = address.port.bigEndian
            _ = inet_pton(AF_INET, address.host, &v4.sin_addr)
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError(operation: "bind \(address)", code: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError(operation: "listen \(address)", code: code)
        }
        return (fd, localPort(fd) ?? address.port)
    }

    private static func localPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset, right after the family.
            UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
    }

    enum Accepted {
        case connection(fd: Int32, peer: String)
        case none
        case failed(Int32)
    }

    /// Accepts one pending connection: non-blocking, close-on-exec, Nagle off (small replies
    /// must not wait for the peer's delayed ACK).
    static func accept(_ listener: Int32) -> Accepted {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.accept(listener, $0, &length)
            }
        }
        if fd < 0 {
            let code = errno
            return code == EAGAIN || code == EWOULDBLOCK || code == EINTR || code == ECONNABORTED ? .none : .failed(code)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            let code = errno
            close(fd)
            return .failed(code)
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return .connection(fd: fd, peer: describe(storage))
    }

    private static func describe(_ storage: sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: storage) { raw -> String in
            let port = UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            if Int32(storage.ss_family) == AF_INET6 {
                var address = raw.loadUnaligned(fromByteOffset: 8, as: in6_addr.self)
                inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                return "[\(Self.string(text))]:\(port)"
            }
            var address = raw.loadUnaligned(fromByteOffset: 4, as: in_addr.self)
            inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            return "\(Self.string(text)):\(port)"
        }
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends without raising SIGPIPE: bytes sent, 0 when the socket buffer is full, -errno on failure.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let sent = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if sent >= 0 { return sent }
        let code = errno
        return code == EAGAIN || code == EWOULDBLOCK || code == EINTR ? 0 : -Int(code)
    }
}
