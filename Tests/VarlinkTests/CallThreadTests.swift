import Foundation
import Testing
import ConcurrencyTestSupport
@testable import Varlink

@Suite("Varlink calls run on the server's own threads", .serialized)
struct CallThreadTests {
    @Test("A call is answered while every thread of the global pool is held by other work (issue #13, defect 9)")
    func answeredWhileGlobalPoolIsBusy() async throws {
        let server = try TestServer.start()
        // The client runs on a thread of its own: the test task itself needs the global pool.
        let answer = try await onThread { () throws -> String? in
            let occupier = GlobalPoolOccupier()
            defer { occupier.release() }
            guard occupier.occupy(threads: ProcessInfo.processInfo.activeProcessorCount, timeout: 10) else {
                return "the global pool was never fully occupied"
            }
            let connection = try server.connect()
            do {
                let reply = try connection.call(
                    "org.example.test.Echo", ["text": "while busy"], returning: [String: String].self, timeout: .seconds(5))
                return reply["text"]
            } catch let error as VarlinkClientError where error == .timedOut {
                return nil
            }
        }
        #expect(answer == "while busy", "the call was not answered in 5 s while the global pool was busy")
        await server.stop()
    }

    @Test("Calls from many connections at once are all answered by the bounded pool")
    func manyConnectionsShareThePool() async throws {
        let server = try TestServer.start(limits: VarlinkServer.Limits(callThreads: 2))
        let sums = try await onThread { () throws -> [Int] in
            let connections = try (0..<16).map { _ in try server.connect() }
            for (index, connection) in connections.enumerated() {
                try connection.send(method: "org.example.test.Add", parameters: ["a": index, "b": 100])
            }
            return try connections.map { try $0.receive(timeout: .seconds(10)).parameters(as: [String: Int].self)["sum"] ?? -1 }
        }
        #expect(sums == (0..<16).map { $0 + 100 })
        await server.stop()
    }
}
