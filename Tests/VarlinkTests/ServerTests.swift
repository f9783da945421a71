import ConcurrencyTestSupport
import Foundation
import Glibc
import Testing
@testable import Varlink

@Suite("Varlink server over a Unix socket", .serialized)
struct ServerTests {
    @Test("Calls round-trip; pipelined calls sent in one write are answered in order")
    func pipelined() async throws {
        let server = try TestServer.start()
        defer { Task { await server.stop() } }
        try await onThread {
            let connection = try server.connect()
            #expect(try connection.call("org.example.test.Echo", ["text": "héllo"], returning: [String: String].self) == ["text": "héllo"])
            var batch: [UInt8] = []
            for index in 0..<200 {
                batch += Array(#"{"method":"org.example.test.Add","parameters":{"a":\#(index),"b":1000}}"#.utf8) + [0]
            }
            try connection.sendRaw(batch)
            for index in 0..<200 {
                #expect(try connection.receiveJSON() == .object(["sum": .integer(Int64(index + 1000))]))
            }
        }
        await server.stop()
    }

    @Test("A streamed call ends on hang-up: the handler's task is cancelled")
    func streamCancelledOnDisconnect() async throws {
        let server = try TestServer.start()
        try await onThread {
            let connection = try server.connect()
            try connection.send(method: "org.example.test.Forever", parameters: [String: String](), more: true)
            for expected in 1...3 {
                let reply = try connection.receive(timeout: .seconds(5))
                #expect(reply.continues)
                #expect(try reply.parameters(as: JSONValue.self) == .object(["tick": .integer(Int64(expected))]))
            }
            connection.shutdown()
        }
        #expect(await server.probe.wait { $0.cancelled == 1 }, "the producer was not cancelled")
        // The server serves on.
        try await onThread {
            let connection = try server.connect()
            #expect(try connection.call("org.example.test.Add", ["a": 1, "b": 2], returning: [String: Int].self) == ["sum": 3])
        }
        await server.stop()
    }

    @Test("Garbage bytes close that connection only; the server serves on")
    func garbage() async throws {
        let server = try TestServer.start()
        try await onThread {
            let bystander = try server.connect()
            #expect(try bystander.call("org.example.test.Echo", ["text": "a"], returning: [String: String].self) == ["text": "a"])
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<20 {
                let attacker = try server.connect()
                var bytes = (0..<Int.random(in: 1...2000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes[0] = UInt8(ascii: "x")  // never a valid JSON start
                bytes.append(0)
                try? attacker.sendRaw(bytes)
                #expect(attacker.isClosedByServer())
            }
            #expect(try bystander.call("org.example.test.Echo", ["text": "b"], returning: [String: String].self) == ["text": "b"])
        }
        #expect(server.server.currentStatistics.closedMalformed >= 20)
        await server.stop()
    }

    @Test("A 2 MiB message closes that connection; others are unaffected")
    func oversized() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(maxMessageBytes: 1 << 20))
        try await onThread {
            let bystander = try server.connect()
            let attacker = try server.connect()
            let text = String(repeating: "y", count: 2 << 20)
            // The server may close before all of it is written.
            try? attacker.send(json: #"{"method":"org.example.test.Echo","parameters":{"text":"\#(text)"}}"#)
            #expect(attacker.isClosedByServer())
            #expect(try bystander.call("org.example.test.Echo", ["text": "still here"], returning: [String: String].self)
                == ["text": "still here"])
            // Just under the limit is served.
            let fits = String(repeating: "z", count: (1 << 20) - 200)
            #expect(try bystander.call("org.example.test.Echo", ["text": fits], returning: [String: String].self) == ["text": fits])
        }
        #expect(server.server.currentStatistics.closedOversized == 1)
        await server.stop()
    }

    @Test("Connections past the limit are closed at once; the ones inside it keep working")
    func connectionLimit() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(maxConnections: 16))
        try await onThread {
            var inside: [VarlinkConnection] = []
            for _ in 0..<16 {
                let connection = try server.connect()
                // A round trip makes sure the server has accepted it before the next one.
                #expect(try connection.call("org.example.test.Echo", ["text": "in"], returning: [String: String].self) == ["text": "in"])
                inside.append(connection)
            }
            let started = Date()
            var extra: [VarlinkConnection] = []
            for _ in 0..<200 { extra.append(try server.connect()) }
            for connection in extra {
                #expect(connection.isClosedByServer(timeout: .seconds(2)))
            }
            #expect(Date().timeIntervalSince(started) < 10)
            for (index, connection) in inside.enumerated() {
                #expect(try connection.call("org.example.test.Add", ["a": index, "b": 1], returning: [String: Int].self) == ["sum": index + 1])
            }
        }
        #expect(server.server.currentStatistics.refusedOverLimit == 200)
        await server.stop()
    }

    @Test("A client that never reads is dropped at its buffer limit while another completes 1,000 calls")
    func slowReader() async throws {
        let limits = VarlinkServer.Limits(maxPendingOutputBytes: 1 << 20)
        let server = try TestServer.start(limits: limits)
        try await onThread {
            let silent = try server.connect()
            // Enough 64 KiB replies to overflow the socket buffer and the 1 MiB output limit.
            var batch: [UInt8] = []
            for _ in 0..<200 { batch += Array(#"{"method":"org.example.test.Big","parameters":{"bytes":65536}}"#.utf8) + [0] }
            try? silent.sendRaw(batch)

            let busy = try server.connect()
            let started = Date()
            for index in 0..<1000 {
                let sum = try busy.call("org.example.test.Add", ["a": index, "b": 1], returning: [String: Int].self)
                #expect(sum == ["sum": index + 1])
            }
            #expect(Date().timeIntervalSince(started) < 30)
        }
        let dropped = await Probe().wait { _ in server.server.currentStatistics.closedSlowReader == 1 }
        #expect(dropped, "the silent client was not dropped")
        await server.stop()
    }

    @Test("An idle client is closed after the timeout; a client with a stream running is not")
    func idleTimeout() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(idleTimeout: .milliseconds(300)))
        try await onThread {
            let idle = try server.connect()
            let partial = try server.connect()
            try partial.sendRaw(Array(#"{"method":"org.exa"#.utf8))  // slowloris: never finishes
            let watcher = try server.connect()
            try watcher.send(method: "org.example.test.Forever", parameters: [String: String](), more: true)
            let started = Date()
            #expect(idle.isClosedByServer(timeout: .seconds(5)))
            #expect(partial.isClosedByServer(timeout: .seconds(5)))
            #expect(Date().timeIntervalSince(started) >= 0.25)
            // The streaming client still receives ticks well past the timeout.
            let deadline = Date().addingTimeInterval(0.8)
            var ticks = 0
            while Date() < deadline {
                _ = try watcher.receive(timeout: .seconds(2))
                ticks += 1
            }
            #expect(ticks > 10)
        }
        #expect(server.server.currentStatistics.closedIdle == 2)
        await server.stop()
    }

    @Test("A message trickled byte by byte and a reply nobody reads both run out of time")
    func stalledClients() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(idleTimeout: .milliseconds(300)))
        try await onThread {
            // More than the socket buffers hold, far less than the output limit: only the stall timeout can end it.
            let stalled = try server.connect()
            try stalled.send(json: #"{"method":"org.example.test.Big","parameters":{"bytes":4000000}}"#)
            let trickler = try server.connect()
            let started = Date()
            var closed = false
            for byte in Array(#"{"method":"org.example.test.Echo","parameters":{"text":"slow"}}"#.utf8) {
                do {
                    try trickler.sendRaw([byte])
                } catch {
                    closed = true
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            // Closed mid-message (the whole message would take 3 s), despite a byte every 50 ms.
            #expect(closed, "a trickled message outlived the timeout")
            #expect(Date().timeIntervalSince(started) < 2)
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(server.server.currentStatistics.closedSlowReader == 1)
        #expect(server.server.currentStatistics.closedIdle == 1)
        await server.stop()
    }

    @Test("A half-closed client still gets its replies")
    func halfClose() async throws {
        let server = try TestServer.start()
        try await onThread {
            let connection = try server.connect()
            try connection.send(json: #"{"method":"org.example.test.Echo","parameters":{"text":"bye"}}"#)
            _ = Glibc.shutdown(connection.fd, Int32(SHUT_WR))
            #expect(try connection.receiveJSON() == .object(["text": .string("bye")]))
            #expect(connection.isClosedByServer())
        }
        await server.stop()
    }

    @Test("The socket file gets its mode, replaces a stale one, refuses a live one, and is removed by stop")
    func socketFile() async throws {
        let path = temporarySocketPath()
        // A stale socket file: bound, then its owner went away.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(stale)

        let server = VarlinkServer(service: TestInterface.service(probe: Probe()))
        try server.start(.path(path, mode: 0o640))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)

        let second = VarlinkServer(service: TestInterface.service(probe: Probe()))
        #expect(throws: VarlinkSocketError.self) { try second.start(.path(path)) }

        await server.stop()
        #expect(access(path, F_OK) != 0)
    }

    @Test("An already listening descriptor (socket activation) is served, and stop ends running streams")
    func listeningDescriptor() async throws {
        let path = temporarySocketPath()
        let fd = try Socket.listen(path: path, mode: 0o600, backlog: 8)
        let probe = Probe()
        let server = VarlinkServer(service: TestInterface.service(probe: probe))
        try server.start(.listeningDescriptor(fd))
        let streaming = try await onThread { () -> Bool in
            let connection = try VarlinkConnection(path: path)
            #expect(try connection.call("org.example.test.Echo", ["text": "fd"], returning: [String: String].self) == ["text": "fd"])
            try connection.send(method: "org.example.test.Forever", parameters: [String: String](), more: true)
            _ = try connection.receive(timeout: .seconds(5))
            // Stop the server from another thread while this one keeps reading the stream.
            Task { await server.stop() }
            return connection.isClosedByServer(timeout: .seconds(5))
        }
        #expect(streaming, "the stream did not end when the server stopped")
        #expect(await probe.wait { $0.cancelled == 1 })
        unlink(path)
    }

    @Test("The async client calls, streams with more, and reports error replies")
    func asyncClient() async throws {
        let server = try TestServer.start()
        let client = try await VarlinkClient.connect(path: server.path)
        let sum = try await client.call("org.example.test.Add", ["a": 2, "b": 40], returning: [String: Int].self)
        #expect(sum == ["sum": 42])
        var seen: [Int] = []
        for try await reply in client.callMore("org.example.test.Count", ["to": 4], returning: [String: Int].self) {
            seen.append(reply["n"] ?? -1)
        }
        #expect(seen == [1, 2, 3, 4])
        do {
            _ = try await client.call("org.example.test.Nope", [String: Int](), returning: [String: Int].self)
            Issue.record("an unknown method succeeded")
        } catch {
            #expect(error == .remote(.methodNotFound("org.example.test.Nope")))
        }
        await #expect(throws: VarlinkClientError.self) {
            _ = try await VarlinkClient.connect(path: "/tmp/tributary-no-such-socket")
        }
        client.close()
        await server.stop()
    }
}
