import Glibc
import SystemdTestSupport
import Testing
@testable import Systemd

@Suite("Systemd seam", .serialized)
struct SystemdTests {
    @Test("Notifications reach $NOTIFY_SOCKET in order, with status kept on one line")
    func notify() async throws {
        let recorder = try NotifyRecorder()
        defer { recorder.stop() }
        setenv("NOTIFY_SOCKET", recorder.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = Notifier()
        #expect(notifier.isConnected)
        #expect(try notifier.notify([.ready, .status("2 ready\n1 processing")]))
        try notifier.notify(.watchdog)
        try notifier.notify(.extendTimeout(microseconds: 30_000_000))
        try notifier.notify(.stopping)
        let received = try await recorder.wait(timeout: .seconds(5)) { $0.contains("STOPPING=1") }
        #expect(received == ["READY=1", "STATUS=2 ready 1 processing", "WATCHDOG=1", "EXTEND_TIMEOUT_USEC=30000000", "STOPPING=1"])
        #expect(recorder.datagrams.first == "READY=1\nSTATUS=2 ready 1 processing")
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
