import Foundation
import Testing
@testable import Varlink

@Suite("Varlink framing and codec")
struct FramingTests {
    @Test("Any split of a byte stream into reads yields the same messages")
    func randomSplits() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let count = Int.random(in: 0...12, using: &generator)
            let messages: [[UInt8]] = (0..<count).map { _ in
                (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 1...255, using: &generator) }
            }
            let stream: [UInt8] = messages.flatMap { message -> [UInt8] in message + [0] }
            var framer = MessageFramer(maxMessageBytes: 300)
            var received: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let size = Int.random(in: 1...max(1, min(stream.count - offset, round % 3 == 0 ? 3 : 700)), using: &generator)
                received += try framer.append(stream[offset..<offset + size])
                offset += size
            }
            #expect(received == messages)
            #expect(framer.bufferedBytes == 0)
        }
    }

    @Test("A message over the limit fails, with or without its NUL, and one at the limit passes")
    func sizeLimit() throws {
        var atLimit = MessageFramer(maxMessageBytes: 10)
        #expect(try atLimit.append(Array(repeating: 65, count: 10) + [0]).count == 1)

        var unterminated = MessageFramer(maxMessageBytes: 10)
        _ = try unterminated.append(Array(repeating: 65, count: 6))
        #expect(throws: MessageFramer.Failure.messageTooLarge(limit: 10)) {
            _ = try unterminated.append(Array(repeating: 65, count: 5))
        }

        var terminated = MessageFramer(maxMessageBytes: 10)
        #expect(throws: MessageFramer.Failure.messageTooLarge(limit: 10)) {
            _ = try terminated.append(Array(repeating: 65, count: 11) + [0] + [66, 0])
        }
    }

    @Test("JSON values round-trip with 64-bit integers intact")
    func jsonValues() throws {
        let value = JSONValue.object([
            "big": .integer(Int64.max), "negative": .integer(-42), "pi": .double(3.25), "flag": .bool(true),
            "none": .null, "list": .array([.string("a"), .integer(1)]), "nested": .object(["k": .string("v")]),
        ])
        let decoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        #expect(decoded == value)
        #expect(decoded["big"]?.integerValue == Int64.max)
        #expect(decoded["nested"]?["k"]?.stringValue == "v")
    }

    @Test("Decoding errors name the offending parameter with its path")
    func parameterPaths() async throws {
        struct Inner: Decodable { let spaces: [String] }
        struct Outer: Decodable { let config: Inner; let limit: Int }
        let service = VarlinkService(
            info: VarlinkServiceInfo(vendor: "v", product: "p", version: "1", url: ""),
            interfaces: [VarlinkInterface(name: "org.example.paths", description: "interface org.example.paths\nmethod M() -> ()", methods: [
                "M": { call, _ throws(VarlinkError) in
                    _ = try call.parameters(as: Outer.self)
                    return .empty
                },
            ])])
        let cases: [(String, String)] = [
            (#"{"config":{"spaces":["a",2]},"limit":1}"#, "config.spaces[1]"),
            (#"{"config":{"spaces":[]},"limit":"ten"}"#, "limit"),
            (#"{"config":{"spaces":[]}}"#, "limit"),
            (#"{"config":{},"limit":1}"#, "config.spaces"),
            // Foundation reports a fractional number for an Int without its coding path.
            (#"{"config":{"spaces":[]},"limit":1.5}"#, "parameters"),
            (#"[1,2]"#, "parameters"),
        ]
        for (parameters, expected) in cases {
            let replies = await service.call(message: #"{"method":"org.example.paths.M","parameters":\#(parameters)}"#, peer: anyPeer)
            #expect(replies == [.error(.invalidParameter(expected))], "\(parameters)")
        }
    }
}
