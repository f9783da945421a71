import Foundation
import Glibc
import Testing
@testable import Varlink

/// A server that answers each call of one connection with the next scripted reply, verbatim
/// (NUL added), so the client meets replies a real server would not send.
private final class ScriptedServer: Sendable {
    let path = temporarySocketPath()
    private let listener: Int32

    init(replies: [String]) throws {
        listener = try Socket.listen(path: path, mode: 0o600, backlog: 4)
        let listener = listener
        Thread.detachNewThread {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 5_000) == 1, case .connection(let fd) = Socket.accept(listener) else { return }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var framer = MessageFramer(maxMessageBytes: 1 << 20)
            var pending = replies[...]
            while let reply = pending.first {
                var connection = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&connection, 1, 5_000) == 1 else { return }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0, let calls = try? framer.append(buffer[0..<count]) else { return }
                for _ in calls {
                    pending = pending.dropFirst()
                    let bytes = Array(reply.utf8) + [0]
                    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
    }

    func stop() {
        close(listener)
        unlink(path)
    }
}

@Suite("Client replies: decoded in one pass, every kind of reply reported as before")
struct ClientReplyTests {
    struct Answer: Codable, Equatable { let text: String; let count: Int? }

    private func call(_ reply: String) throws -> Result<Answer, VarlinkClientError> {
        let server = try ScriptedServer(replies: [reply])
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path)
        return Result { () throws(VarlinkClientError) in
            try connection.call("org.example.test.Echo", ["text": "hi"], returning: Answer.self, timeout: .seconds(5))
        }
    }

    @Test("Parameters decode into the reply type; absent optional members stay nil")
    func parameters() throws {
        #expect(try call(#"{"parameters":{"text":"hello","count":3}}"#).get() == Answer(text: "hello", count: 3))
        #expect(try call(#"{"parameters":{"text":"hi"},"continues":false}"#).get() == Answer(text: "hi", count: nil))
    }

    @Test("An error reply is .remote with its name and parameters, whatever the reply type")
    func errorReply() throws {
        let result = try call(#"{"error":"org.example.test.Broken","parameters":{"reason":"disk","code":7}}"#)
        #expect(throws: VarlinkClientError.remote(VarlinkError(
            "org.example.test.Broken", parameters: ["reason": .string("disk"), "code": .integer(7)]))) { try result.get() }
        let bare = try call(#"{"error":"org.example.test.Bare"}"#)
        #expect(throws: VarlinkClientError.remote(VarlinkError("org.example.test.Bare", parameters: [:]))) { try bare.get() }
    }

    @Test("Replies of the wrong shape are protocol violations")
    func violations() throws {
        for reply in [#"{"parameters":{"count":1}}"#, #"{"continues":true,"parameters":{"text":"a"}}"#, "[1,2]",
                      #"{"continues":"yes","parameters":{"text":"a"}}"#, #"{"error":5}"#] {
            let result = try call(reply)
            guard case .failure(.protocolViolation) = result else {
                Issue.record("\(reply) gave \(result)")
                continue
            }
        }
    }
}
