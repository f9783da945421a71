import Foundation
import Glibc
import Testing
@testable import Systemd

/// A datagram socket standing in for systemd's notify socket.
private final class FakeNotifySocket {
    let path: String
    let descriptor: Int32

    init() throws {
        path = NSTemporaryDirectory() + "tributary-notify-\(UUID().uuidString.prefix(8))"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "cannot bind \(path)")
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    deinit {
        close(descriptor)
        unlink(path)
    }
}

@Suite("Systemd seam", .serialized)
struct SystemdTests {
    @Test("Notifications reach $NOTIFY_SOCKET in order, with status kept on one line")
    func notify() throws {
        let fake = try FakeNotifySocket()
        setenv("NOTIFY_SOCKET", fake.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = Notifier()
        #expect(notifier.isConnected)
        #expect(try notifier.notify([.ready, .status("2 ready\n1 processing")]))
        #expect(fake.receive() == "READY=1\nSTATUS=2 ready 1 processing")
        try notifier.notify(.watchdog)
        #expect(fake.receive() == "WATCHDOG=1")
        try notifier.notify(.extendTimeout(microseconds: 30_000_000))
        #expect(fake.receive() == "EXTEND_TIMEOUT_USEC=30000000")
        try notifier.notify(.stopping)
        #expect(fake.receive() == "STOPPING=1")
    }

    @Test("Without $NOTIFY_SOCKET notifications are a no-op and the watchdog is off")
    func notifyOutsideSystemd() throws {
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        let notifier = Notifier()
        #expect(!notifier.isConnected)
        #expect(try notifier.notify(.ready) == false)
        #expect(notifier.watchdogInterval() == nil)
    }

    @Test("The watchdog interval comes from $WATCHDOG_USEC when it names this process")
    func watchdogInterval() {
        setenv("WATCHDOG_USEC", "3000000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }
        #expect(Notifier().watchdogInterval() == .seconds(3))
        setenv("WATCHDOG_PID", "1", 1)
        #expect(Notifier().watchdogInterval() == nil)
    }

    @Test("Peer credentials of a socket pair name this process")
    func peerCredentials() throws {
        var pair: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer {
            close(pair[0])
            close(pair[1])
        }
        let credentials = try PeerCredentials.of(socket: pair[1])
        #expect(credentials == PeerCredentials(processID: getpid(), userID: getuid(), groupID: getgid()))
        // Not a socket: a typed error naming the operation.
        #expect(throws: SystemdError.self) { try PeerCredentials.of(socket: -1) }
    }

    @Test("A process that was not socket-activated sees no passed sockets")
    func noPassedSockets() throws {
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        #expect(try SocketActivation.passedSockets().isEmpty)
        #expect(try SocketActivation.passedSocket(named: "control") == nil)
    }
}
