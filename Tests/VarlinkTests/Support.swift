import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import Varlink

/// A unique socket path in /tmp (sun_path is short, so not under a deep temporary directory).
func temporarySocketPath() -> String {
    "/tmp/tributary-varlink-\(UUID().uuidString.prefix(12)).sock"
}

/// Records what the test interface's handlers saw, for assertions across threads.
final class Probe: Sendable {
    private let state = Mutex<(cancelled: Int, started: Int)>((0, 0))
    var cancelled: Int { state.withLock { $0.cancelled } }
    var started: Int { state.withLock { $0.started } }
    func noteStarted() { state.withLock { $0.started += 1 } }
    func noteCancelled() { state.withLock { $0.cancelled += 1 } }

    /// Polls `condition` for up to `seconds`.
    func wait(seconds: Double = 5, until condition: @Sendable (Probe) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }
}

/// `org.example.test`: small methods that exercise every path of the server.
enum TestInterface {
    static let description = """
        # A test interface.
        interface org.example.test

        method Echo(text: string) -> (text: string)
        method Add(a: int, b: int) -> (sum: int)
        # Streams 1...to; the last reply is final.
        method Count(to: int) -> (n: int)
        # Streams a tick every few milliseconds until the client hangs up.
        method Forever() -> (tick: int)
        # A reply of `bytes` bytes.
        method Big(bytes: int) -> (data: string)
        method Declared() -> ()
        """

    struct Text: Codable { let text: String }
    struct Operands: Codable { let a: Int64; let b: Int64 }
    struct Sum: Codable { let sum: Int64 }
    struct To: Codable { let to: Int }
    struct N: Codable { let n: Int }
    struct Tick: Codable { let tick: Int }
    struct Bytes: Codable { let bytes: Int }
    struct Data_: Codable { let data: String }

    static func make(probe: Probe) -> VarlinkInterface {
        VarlinkInterface(name: "org.example.test", description: description, methods: [
            "Echo": { call, _ throws(VarlinkError) in
                try parameters(Text(text: try call.parameters(as: Text.self).text))
            },
            "Add": { call, _ throws(VarlinkError) in
                let operands = try call.parameters(as: Operands.self)
                return try parameters(Sum(sum: operands.a + operands.b))
            },
            "Count": { call, replies throws(VarlinkError) in
                let to = try call.parameters(as: To.self).to
                guard to >= 1 else { throw .invalidParameter("to") }
                for n in 1..<to { try replies.yield(try parameters(N(n: n))) }
                return try parameters(N(n: to))
            },
            "Forever": { call, replies throws(VarlinkError) in
                guard call.more else { throw .expectedMore }
                probe.noteStarted()
                var tick = 0
                while !Task.isCancelled {
                    tick += 1
                    try replies.yield(try parameters(Tick(tick: tick)))
                    try? await Task.sleep(for: .milliseconds(5))
                }
                probe.noteCancelled()
                return .empty
            },
            "Big": { call, _ throws(VarlinkError) in
                let bytes = try call.parameters(as: Bytes.self).bytes
                return try parameters(Data_(data: String(repeating: "x", count: bytes)))
            },
        ])
    }

    static func parameters(_ value: some Encodable) throws(VarlinkError) -> VarlinkParameters {
        do {
            return try VarlinkParameters(encoding: value)
        } catch {
            throw .invalidParameter("reply")
        }
    }

    static func service(probe: Probe) -> VarlinkService {
        VarlinkService(
            info: VarlinkServiceInfo(vendor: "Example", product: "test", version: "1", url: "https://example.org"),
            interfaces: [make(probe: probe)])
    }
}

/// A server on a fresh socket path, stopped by `stop()`.
struct TestServer {
    let server: VarlinkServer
    let path: String
    let probe: Probe

    static func start(
        limits: VarlinkServer.Limits = VarlinkServer.Limits(),
        isPrivileged: @escaping @Sendable (VarlinkPeer) -> Bool = VarlinkServer.rootOrOwnUser(),
        logger: Logger = Logger(label: "varlink-test")
    ) throws -> TestServer {
        let probe = Probe()
        let path = temporarySocketPath()
        let server = VarlinkServer(
            service: TestInterface.service(probe: probe), limits: limits, isPrivileged: isPrivileged, logger: logger)
        try server.start(.path(path, mode: 0o600))
        return TestServer(server: server, path: path, probe: probe)
    }

    func connect() throws -> VarlinkConnection {
        try VarlinkConnection(path: path)
    }

    func stop() async {
        await server.stop()
    }
}

extension VarlinkConnection {
    /// Sends a raw message string and a NUL.
    func send(json: String) throws {
        try sendRaw(Array(json.utf8) + [0])
    }

    /// The next reply's parameters as JSON, or the error thrown.
    func receiveJSON(timeout: Duration = .seconds(5)) throws -> JSONValue {
        try receive(timeout: timeout).parameters(as: JSONValue.self)
    }

    /// True when the server has closed this connection within `timeout`.
    func isClosedByServer(timeout: Duration = .seconds(3)) -> Bool {
        do {
            while true { _ = try receive(timeout: timeout) }
        } catch .disconnected {
            return true
        } catch {
            return false
        }
    }
}

/// A reply's error, or nil when it succeeded.
func remoteError(_ work: () throws -> Void) -> VarlinkError? {
    do {
        try work()
        return nil
    } catch let error as VarlinkClientError {
        if case .remote(let remote) = error { return remote }
        return VarlinkError("client:\(error)")
    } catch {
        return VarlinkError("other:\(error)")
    }
}

let anyPeer = VarlinkPeer(processID: 1, userID: 1000, groupID: 1000, supplementaryGroups: [])

/// Classifies every peer as privileged or not by a switch the test flips: all connections of a
/// test come from one uid, so this seam stands in for peers of different standing.
final class PrivilegeSwitch: Sendable {
    private let privileged = Mutex(false)

    func set(_ value: Bool) { privileged.withLock { $0 = value } }

    /// The predicate for `VarlinkServer(isPrivileged:)`.
    var classify: @Sendable (VarlinkPeer) -> Bool {
        { [self] _ in privileged.withLock { $0 } }
    }
}

