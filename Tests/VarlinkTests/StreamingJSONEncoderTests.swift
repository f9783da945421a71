import Foundation
import StreamingJSON
import Testing
@testable import Varlink

@Suite("StreamingJSONEncoder: the same JSON as JSONEncoder, written without its tree")
struct StreamingJSONEncoderTests {
    struct Citation: Codable, Equatable {
        var id: String
        var pageNumber: Int?
    }

    struct Hit: Codable, Equatable {
        var pageId: String
        var headingPath: [String]
        var score: Double
        var text: String?
        var labels: [String]?
        var version: Int?
        var small: Int8
        var large: UInt64
        var ratio: Float
        var flag: Bool
        var citation: Citation?
        var nested: [[Int]]
        var optionals: [String?]
        var counts: [String: Int]
    }

    static let hits = [
        Hit(pageId: "300061", headingPath: ["Runbook: PostgreSQL", "Rotate the «credentials»"], score: 3.846,
            text: "Line one\nTab\there \"quoted\" back\\slash /path é 🚀 \u{01}\u{1F}", labels: ["a", "b"], version: 7,
            small: -8, large: UInt64.max, ratio: 0.25, flag: true, citation: Citation(id: "att1", pageNumber: 2),
            nested: [[1, 2], [], [3]], optionals: ["x", nil], counts: ["one": 1]),
        Hit(pageId: "", headingPath: [], score: 4, text: nil, labels: nil, version: nil, small: 0, large: 0, ratio: 1e-7,
            flag: false, citation: nil, nested: [], optionals: [], counts: [:]),
        Hit(pageId: "x", headingPath: ["h"], score: -0.001, text: "", labels: [], version: -1, small: 127, large: 1 << 40,
            ratio: 3e20, flag: true, citation: Citation(id: "c", pageNumber: nil), nested: [[0]], optionals: [nil],
            counts: ["k": -2]),
    ]

    private func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// The JSON document `bytes` hold (JSONEncoder orders members as it likes, so documents are
    /// compared, not bytes).
    private func document(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    @Test("Structs, optionals, arrays, nested values, numbers and escapes: the document JSONEncoder writes")
    func sameDocument() throws {
        struct Reply: Codable, Equatable { var results: [Hit] }
        let reply = Reply(results: Self.hits)
        let streamed = try StreamingJSONEncoder.streamed(reply)
        #expect(try document(streamed) == document(try foundation(reply)))
        #expect(try JSONDecoder().decode(Reply.self, from: Data(streamed)) == reply)
        // Escapes as JSONEncoder writes them; slashes and non-ASCII text as they are; absent optionals left out.
        let text = String(decoding: try StreamingJSONEncoder.streamed(Self.hits[0]), as: UTF8.self)
        #expect(text.contains(#""text":"Line one\nTab\there \"quoted\" back\\slash /path é 🚀 \u0001\u001f""#))
        #expect(text.hasPrefix(#"{"pageId":"300061","headingPath":["Runbook: PostgreSQL","Rotate the «credentials»"],"score":3.846,"#))
        #expect(!String(decoding: try StreamingJSONEncoder.streamed(Self.hits[1]), as: UTF8.self).contains("text"))
        #expect(String(decoding: try StreamingJSONEncoder.streamed([4.0, 0.5]), as: UTF8.self) == "[4,0.5]")
    }

    @Test("JSON values and dictionaries decode to the same values")
    func jsonValues() throws {
        let value = JSONValue.object([
            "error": .string("io.tributary.Datastores.NoSuchDatastore"), "n": .integer(Int64.min), "d": .double(2.5),
            "list": .array([.null, .bool(false), .object([:]), .array([])]), "nothing": .null,
        ])
        let streamed = try StreamingJSONEncoder.streamed(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(streamed)) == value)
        #expect(String(decoding: try StreamingJSONEncoder.streamed([String: JSONValue]()), as: UTF8.self) == "{}")
    }

    @Test("Shapes it does not write fall back to JSONEncoder: nested containers, dates, URLs")
    func fallback() throws {
        struct Nested: Encodable {
            func encode(to encoder: any Encoder) throws {
                enum Keys: String, CodingKey { case outer, inner }
                var container = encoder.container(keyedBy: Keys.self)
                var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .outer)
                try inner.encode(1, forKey: .inner)
            }
        }
        struct Unused: Encodable {
            func encode(to encoder: any Encoder) throws {
                enum Keys: String, CodingKey { case a, b }
                var container = encoder.container(keyedBy: Keys.self)
                _ = container.nestedUnkeyedContainer(forKey: .b)
                try container.encode(1, forKey: .a)
            }
        }
        struct Dated: Encodable { var date = Date(timeIntervalSince1970: 5); var url = URL(string: "https://x.example/a/b")! }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder.streamed(Nested()) }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder.streamed(Unused()) }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder.streamed(Dated()) }
        #expect(try document(StreamingJSONEncoder.encode(Nested())) == document(foundation(Nested())))
        #expect(try document(StreamingJSONEncoder.encode(Unused())) == document(foundation(Unused())))
        #expect(try document(StreamingJSONEncoder.encode(Dated())) == document(foundation(Dated())))
    }

    @Test("A non-finite number is an EncodingError, as with JSONEncoder")
    func nonFinite() {
        struct Score: Encodable { var score: Double }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode(Score(score: .nan)) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode([Double.infinity]) }
    }

    @Test("Reply parameters must still be an object")
    func parametersObject() throws {
        #expect(throws: EncodingError.self) { try VarlinkParameters(encoding: [1, 2]) }
        #expect(try VarlinkParameters(encoding: ["a": "b/c"]).json == Array(#"{"a":"b/c"}"#.utf8))
    }
}
