import ConcurrencyTestSupport
import Foundation
import Glibc
import LogTestSupport
import Testing
@testable import Varlink

/// Issue #13, defect 2: silent connections must not lock anyone out of the socket.
@Suite("Connection slots: per-user shares, a privileged reserve, a first-message deadline", .serialized)
struct ConnectionSlotTests {
    private static let peerA = VarlinkPeer(processID: 10, userID: 1000, groupID: 1000, supplementaryGroups: [])
    private static let peerB = VarlinkPeer(processID: 11, userID: 1001, groupID: 1001, supplementaryGroups: [])
    private static let root = VarlinkPeer(processID: 12, userID: 0, groupID: 0, supplementaryGroups: [])

    @Test("Admission: each unprivileged uid gets its share, the reserve is for privileged peers, release frees")
    func admission() {
        let limits = VarlinkServer.Limits(maxConnections: 10, reservedConnections: 3, maxConnectionsPerUser: 4)
        var admission = ConnectionAdmission(limits: limits) { $0.userID == 0 }
        var slotsOfA: [ConnectionAdmission.Slot] = []
        for _ in 0..<4 { if case .success(let slot) = admission.admit(Self.peerA) { slotsOfA.append(slot) } }
        #expect(slotsOfA.count == 4)
        #expect(admission.admit(Self.peerA) == .failure(.userShare))
        for _ in 0..<3 { #expect((try? admission.admit(Self.peerB).get()) != nil) }
        // 7 unprivileged slots taken: the other 3 are the reserve.
        #expect(admission.admit(Self.peerB) == .failure(.reserved))
        for _ in 0..<3 { #expect((try? admission.admit(Self.root).get())?.privileged == true) }
        #expect(admission.admit(Self.root) == .failure(.full))
        admission.release(slotsOfA[0])
        #expect(admission.openConnections(ofUser: 1000) == 3)
        // The freed slot is an unprivileged one again, open to any uid within its share.
        #expect((try? admission.admit(Self.peerB).get()) != nil)
        #expect(admission.admit(Self.peerA) == .failure(.full))
        #expect(admission.open == 10)
        #expect(admission.unprivilegedOpen == 7)
    }

    @Test("Refusals are logged once per uid per interval; the next line counts those left out")
    func refusalLogLimit() {
        var limiter = RefusalLogLimiter(interval: .seconds(60))
        let start = ContinuousClock.now
        #expect(limiter.admitLine(for: 1000, now: start) == 0)
        for second in 1...5 { #expect(limiter.admitLine(for: 1000, now: start + .seconds(second)) == nil) }
        #expect(limiter.admitLine(for: 1001, now: start + .seconds(5)) == 0)
        #expect(limiter.admitLine(for: 1000, now: start + .seconds(61)) == 5)
        #expect(limiter.admitLine(for: 1000, now: start + .seconds(62)) == nil)
    }

    /// Opens `count` connections that send nothing and waits until the server has taken or
    /// refused every one. Blocking: call it on a thread of its own.
    private static func flood(_ server: TestServer, count: Int) throws -> [VarlinkConnection] {
        let before = server.server.currentStatistics
        let connections = try (0..<count).map { _ in try server.connect() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let now = server.server.currentStatistics
            if now.accepted + now.refusedOverLimit - before.accepted - before.refusedOverLimit == count { break }
            usleep(5_000)
        }
        let now = server.server.currentStatistics
        #expect(now.accepted + now.refusedOverLimit - before.accepted - before.refusedOverLimit == count,
                "the server did not take or refuse every connection")
        return connections
    }

    @Test("140 silent connections of one unprivileged uid take only its share; a privileged peer is served")
    func silentFloodTakesOnlyAShare() async throws {
        let privileged = PrivilegeSwitch()
        let logs = LogCapture()
        // A long first-message deadline: this test is about the slots, not the deadline.
        let server = try TestServer.start(
            limits: VarlinkServer.Limits(firstMessageTimeout: .seconds(60)), isPrivileged: privileged.classify,
            logger: logs.logger)
        try await onThread {
            let flood = try Self.flood(server, count: 140)
            let statistics = server.server.currentStatistics
            #expect(statistics.accepted == 16)
            #expect(statistics.refusedOverUserShare == 124)
            #expect(statistics.open == 16)

            privileged.set(true)
            let root = try server.connect()
            #expect(try root.call("org.example.test.Echo", ["text": "root"], returning: [String: String].self) == ["text": "root"])
            // A refused connection was closed at once; one inside the share is served.
            #expect(flood[139].isClosedByServer(timeout: .seconds(2)))
            #expect(try flood[0].call("org.example.test.Echo", ["text": "a"], returning: [String: String].self) == ["text": "a"])
        }
        // 124 refusals of one uid, one log line.
        #expect(logs.count("varlink server refused a connection") == 1)
        await server.stop()
    }

    @Test("With a share as large as the server, unprivileged clients still leave the reserve to privileged peers")
    func reserveHolds() async throws {
        let privileged = PrivilegeSwitch()
        let limits = VarlinkServer.Limits(
            maxConnections: 32, reservedConnections: 4, maxConnectionsPerUser: 1000, firstMessageTimeout: .seconds(60))
        let server = try TestServer.start(limits: limits, isPrivileged: privileged.classify)
        try await onThread {
            let flood = try Self.flood(server, count: 40)
            #expect(server.server.currentStatistics.accepted == 28)
            #expect(server.server.currentStatistics.refusedForReserve == 12)

            privileged.set(true)
            let reserve = try Self.flood(server, count: 5)
            #expect(server.server.currentStatistics.accepted == 32)
            for connection in reserve.prefix(4) {
                #expect(try connection.call("org.example.test.Add", ["a": 1, "b": 2], returning: [String: Int].self) == ["sum": 3])
            }
            #expect(reserve[4].isClosedByServer(timeout: .seconds(2)), "a 33rd connection got in")
            withExtendedLifetime(flood) {}
        }
        await server.stop()
    }

    @Test("A connection that sends no complete message in time is closed; one that did, or streams, stays")
    func firstMessageDeadline() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(firstMessageTimeout: .milliseconds(200)))
        try await onThread {
            let talker = try server.connect()
            #expect(try talker.call("org.example.test.Echo", ["text": "hi"], returning: [String: String].self) == ["text": "hi"])
            let watcher = try server.connect()
            try watcher.send(method: "org.example.test.Forever", parameters: [String: String](), more: true)
            let started = Date()
            let silent = try server.connect()
            let partial = try server.connect()
            try partial.sendRaw(Array(#"{"method":"org.example.test.Echo","par"#.utf8))
            #expect(silent.isClosedByServer(timeout: .seconds(5)))
            #expect(partial.isClosedByServer(timeout: .seconds(5)))
            #expect(Date().timeIntervalSince(started) >= 0.15)
            // Well past the first-message deadline, the connections that sent a message live on.
            Thread.sleep(forTimeInterval: 0.3)
            #expect(try talker.call("org.example.test.Echo", ["text": "still"], returning: [String: String].self) == ["text": "still"])
            #expect(try watcher.receive(timeout: .seconds(2)).continues)
        }
        #expect(server.server.currentStatistics.closedSilent == 2)
        #expect(server.server.currentStatistics.closedIdle == 0)
        await server.stop()
    }
}
