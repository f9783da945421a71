import Control
import Foundation
import Glibc
import LogTestSupport
import Testing
import Varlink

/// Issue #13, defect 2, end to end with real peer credentials: an unprivileged uid that holds
/// 140 silent connections to the control socket, reconnecting each one the server closes,
/// shuts out neither root, nor the admin group, nor another user.
@Suite("Control socket lockout by idle connections", .serialized)
struct ConnectionLockoutTests {
    /// Holds `count` silent connections to the socket, reconnecting whenever the server closes
    /// one, until its standard input closes.
    private static let floodScript = """
        import select, socket, sys, time
        path, count = sys.argv[1], int(sys.argv[2])
        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        held = [connect() for _ in range(count)]
        while True:
            readable, _, _ = select.select(held + [sys.stdin], [], [], 1)
            if sys.stdin in readable:
                break
            for s in readable:
                s.close()
                held[held.index(s)] = connect()
            time.sleep(0.05)
        """

    @Test("uid 65534 floods the socket; root, an admin-group member and uid 65533 are still served")
    func floodByOneUser() async throws {
        try #require(getuid() == 0, "switching to other uids needs root")
        let setpriv = "/usr/bin/setpriv"
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv (util-linux) is missing")
        try #require(FileManager.default.isExecutableFile(atPath: python), "python3 is missing")
        let adminGroup: UInt32 = 4242
        let running = try RunningServer.start(authorizer: Authorizer(privilegedUserIDs: [0], groupID: adminGroup), mode: 0o666)
        let ctl = try Paths.tributaryctl()
        func ctlAs(_ identity: [String]) async throws -> ProcessResult {
            try await runAsync(setpriv, identity + [ctl, "--socket", running.path, "list"], timeout: 20)
        }

        let flooder = Process()
        flooder.executableURL = URL(fileURLWithPath: setpriv)
        flooder.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", Self.floodScript, running.path, "140"]
        let control = Pipe()
        flooder.standardInput = control
        // Its tracebacks (a connect racing the server's stop) are noise here.
        flooder.standardError = FileHandle.nullDevice
        try flooder.run()
        func endFlood() {
            try? control.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(5)
            while flooder.isRunning && Date() < deadline { usleep(10_000) }
            if flooder.isRunning { kill(flooder.processIdentifier, SIGKILL) }
        }
        defer { endFlood() }
        let flooded = await waitFor(seconds: 10) {
            let statistics = running.server.server.currentStatistics
            return statistics.accepted + statistics.refusedOverLimit >= 140
        }
        try #require(flooded, "the flood did not reach the server")

        let root = try await runAsync(ctl, ["--socket", running.path, "list"], timeout: 20)
        #expect(root.status == 0, "root was shut out: \(root.stderr)")
        let member = try await ctlAs(["--reuid=65534", "--regid=65534", "--groups=\(adminGroup)"])
        #expect(member.status == 0, "an admin-group member was shut out: \(member.stderr)")
        let otherUser = try await ctlAs(["--reuid=65533", "--regid=65533", "--clear-groups"])
        #expect(otherUser.status == 0, "another user was shut out: \(otherUser.stderr)")
        let flooderItself = try await ctlAs(["--reuid=65534", "--regid=65534", "--clear-groups"])
        // Refused at accept: the connection closes before any reply (exit 5, connection lost).
        #expect(flooderItself.status == 5, "the flooding uid got more than its share: \(flooderItself.stderr)")

        // However often the flooder reconnects, its refusals make one log line per interval.
        let refusals = running.logs.all.filter { $0.message == "varlink server refused a connection" && $0.metadata["uid"] == "65534" }
        #expect(refusals.count == 1)
        #expect(running.server.server.currentStatistics.refusedOverUserShare >= 124)
        endFlood()
        await running.stop()
    }

    private func waitFor(seconds: Double, _ condition: @Sendable () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
