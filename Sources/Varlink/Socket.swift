import Glibc

/// A failed socket operation, with the errno text; never carries message contents.
public struct VarlinkSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String?
    public var code: Int32

    public init(operation: String, path: String? = nil, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The errno text, e.g. "No such file or directory".
    public var reason: String {
        String(cString: strerror(code))
    }

    public var description: String {
        path.map { "\(operation) \($0): \(reason)" } ?? "\(operation): \(reason)"
    }
}

/// The thin layer over the AF_UNIX socket calls the server and the client make.
enum Socket {
    /// Binds and listens on `path`, replacing a stale socket file nobody listens on, and sets
    /// the file's mode before any client can connect (connections are refused until listen()).
    static func listen(path: String, mode: mode_t, backlog: Int32) throws(VarlinkSocketError) -> Int32 {
        var address = try address(path)
        try removeStaleSocket(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw VarlinkSocketError(operation: "socket", path: path, code: errno) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 {
            let code = errno
            close(fd)
            throw VarlinkSocketError(operation: "bind", path: path, code: code)
        }
        if chmod(path, mode) != 0 || Glibc.listen(fd, backlog) != 0 {
            let code = errno
            close(fd)
            unlink(path)
            throw VarlinkSocketError(operation: "listen", path: path, code: code)
        }
        try setNonBlocking(fd)
        return fd
    }

    /// Prepares a listening socket received from elsewhere (systemd socket activation).
    static func adopt(listener fd: Int32) throws(VarlinkSocketError) {
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 else {
            throw VarlinkSocketError(operation: "inspecting the passed socket", code: errno)
        }
        guard listening != 0 else { throw VarlinkSocketError(operation: "the passed socket is not listening", code: EINVAL) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        try setNonBlocking(fd)
    }

    /// Unlinks `path` when it is a socket that refuses connections (left by a dead process);
    /// a live one is an error, and so is any other kind of file.
    private static func removeStaleSocket(_ path: String) throws(VarlinkSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw VarlinkSocketError(operation: "bind (not a socket)", path: path, code: EEXIST)
        }
        if let probe = try? connect(path: path) {
            close(probe)
            throw VarlinkSocketError(operation: "bind (a server is listening)", path: path, code: EADDRINUSE)
        }
        unlink(path)
    }

    /// A blocking connection to the socket at `path`.
    static func connect(path: String) throws(VarlinkSocketError) -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw VarlinkSocketError(operation: "socket", path: path, code: errno) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            let code = errno
            close(fd)
            throw VarlinkSocketError(operation: "connect", path: path, code: code)
        }
        return fd
    }

    private static func address(_ path: String) throws(VarlinkSocketError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw VarlinkSocketError(operation: "socket path too long or empty", path: path, code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return address
    }

    static func setNonBlocking(_ fd: Int32) throws(VarlinkSocketError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw VarlinkSocketError(operation: "fcntl(O_NONBLOCK)", code: errno)
        }
    }

    enum Accepted {
        case connection(Int32)
        case none
        case failed(Int32)
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec descriptor.
    static func accept(_ listener: Int32) -> Accepted {
        let fd = Glibc.accept(listener, nil, nil)
        if fd < 0 {
            let code = errno
            return code == EAGAIN || code == EWOULDBLOCK || code == EINTR ? .none : .failed(code)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        do {
            try setNonBlocking(fd)
        } catch {
            close(fd)
            return .failed(error.code)
        }
        return .connection(fd)
    }

    /// The kernel's `struct ucred`, which glibc declares only under _GNU_SOURCE (so Swift does
    /// not see it): three 32-bit fields, pid, uid, gid.
    private struct PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
    }

    /// The credentials the kernel recorded for the peer at connect time (`SO_PEERCRED`).
    static func peer(of fd: Int32) -> VarlinkPeer? {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              Int(length) == MemoryLayout<PeerCredentials>.size else { return nil }
        return VarlinkPeer(
            processID: credentials.pid, userID: credentials.uid, groupID: credentials.gid,
            supplementaryGroups: supplementaryGroups(of: fd))
    }

    /// `SO_PEERGROUPS` (Linux ≥ 4.13): the peer's supplementary groups, race-free unlike a
    /// later read of /proc/PID/status.
    private static func supplementaryGroups(of fd: Int32) -> [UInt32] {
        var groups = [gid_t](repeating: 0, count: 64)
        for _ in 0..<2 {
            var length = socklen_t(groups.count * MemoryLayout<gid_t>.size)
            if getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, &groups, &length) == 0 {
                return Array(groups.prefix(Int(length) / MemoryLayout<gid_t>.size))
            }
            guard errno == ERANGE else { return [] }
            groups = [gid_t](repeating: 0, count: Int(length) / MemoryLayout<gid_t>.size + 1)
        }
        return []
    }

    /// Sends without raising SIGPIPE; returns bytes sent, 0 when the socket buffer is full, or
    /// -errno on failure.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let sent = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if sent >= 0 { return sent }
        let code = errno
        return code == EAGAIN || code == EWOULDBLOCK || code == EINTR ? 0 : -Int(code)
    }
}
