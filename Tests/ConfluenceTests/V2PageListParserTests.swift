import Foundation
import Testing
@testable import Confluence
import RandomTestSupport

/// The v2 page list's own decoder gives what `JSONDecoder` gives, or gives up (nil) and leaves
/// the bytes to `JSONDecoder`: it never returns a value `JSONDecoder` would not.
@Suite("V2 page list decoder")
struct V2PageListParserTests {
    static func fast(_ json: [UInt8]) -> V2List<V2Page>? {
        json.withUnsafeBytes { V2List<V2Page>.fastDecode($0) }
    }

    static func foundation(_ json: [UInt8]) -> V2List<V2Page>? {
        try? JSONDecoder().decode(V2List<V2Page>.self, from: Data(json))
    }

    /// Every field, for comparing two decodings (the wire types are not Equatable).
    static func fields(_ list: V2List<V2Page>) -> String {
        String(reflecting: list)
    }

    static let pieces = ["plain", "Café ü", "東京", "😀", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u6771",
                         "\\ud83d\\ude00", "\\u0000", "<p>a &amp; b</p>", " ", "\\r\\n", "\\b\\f"]

    static func string(_ random: inout SeededGenerator) -> String {
        "\"" + (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() + "\""
    }

    static func space(_ random: inout SeededGenerator) -> String {
        ["", " ", "\n  ", "\t"].randomElement(using: &random)!
    }

    /// A value the client does not read, nested a little.
    static func unknown(_ random: inout SeededGenerator, depth: Int = 0) -> String {
        switch Int.random(in: 0...(depth > 2 ? 4 : 6), using: &random) {
        case 0: return string(&random)
        case 1: return ["0", "-12", "3.25", "1e3", "-0.5E-2", "12345678901234567890"].randomElement(using: &random)!
        case 2: return ["true", "false", "null"].randomElement(using: &random)!
        case 3: return "[]"
        case 4: return "{}"
        case 5: return "[" + (0..<Int.random(in: 1...3, using: &random)).map { _ in unknown(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int.random(in: 1...3, using: &random)).map { index in
                "\"k\(index)\":" + space(&random) + unknown(&random, depth: depth + 1)
            }.joined(separator: ",") + "}"
        }
    }

    static func optional(_ value: String, _ random: inout SeededGenerator) -> String {
        Int.random(in: 0..<5, using: &random) == 0 ? "null" : value
    }

    static func page(_ random: inout SeededGenerator) -> String {
        let id = Bool.random(using: &random) ? "\"\(Int.random(in: 1...999_999, using: &random))\"" : "\(Int.random(in: 1...999_999, using: &random))"
        var members = ["\"id\":" + id]
        if Bool.random(using: &random) { members.append("\"status\":" + optional("\"current\"", &random)) }
        if Bool.random(using: &random) { members.append("\"title\":" + optional(string(&random), &random)) }
        if Bool.random(using: &random) { members.append("\"spaceId\":" + optional(Bool.random(using: &random) ? "\"65539\"" : "65539", &random)) }
        if Bool.random(using: &random) { members.append("\"parentId\":" + optional("\"123\"", &random)) }
        if Bool.random(using: &random) { members.append("\"createdAt\":" + optional("\"2025-01-02T03:04:05.000Z\"", &random)) }
        if Bool.random(using: &random) {
            members.append("\"version\":" + optional("{\"number\":\(Int.random(in: 1...40, using: &random)),\"createdAt\":\"2025-02-03T00:00:00Z\",\"message\":\"\",\"minorEdit\":false,\"authorId\":\"x\"}", &random))
        }
        if Bool.random(using: &random) {
            members.append("\"body\":" + optional("{\"storage\":" + optional("{\"representation\":\"storage\",\"value\":" + string(&random) + "}", &random) + "}", &random))
        }
        if Bool.random(using: &random) { members.append("\"_links\":" + optional("{\"webui\":" + string(&random) + ",\"editui\":\"/e\",\"tinyui\":\"/x/AB\"}", &random)) }
        for index in 0..<Int.random(in: 0...2, using: &random) { members.append("\"extra\(index)\":" + unknown(&random)) }
        members.shuffle(using: &random)
        return "{" + members.map { space(&random) + $0 + space(&random) }.joined(separator: ",") + "}"
    }

    static func list(_ random: inout SeededGenerator) -> String {
        var members = ["\"results\":[" + (0..<Int.random(in: 0...4, using: &random)).map { _ in page(&random) }.joined(separator: "," + space(&random)) + "]"]
        if Bool.random(using: &random) {
            members.append("\"_links\":" + optional("{\"next\":\"/wiki/api/v2/spaces/1/pages?cursor=abc%3D\",\"base\":\"https://x.atlassian.net/wiki\"}", &random))
        }
        members.shuffle(using: &random)
        return space(&random) + "{" + members.joined(separator: ",") + "}" + space(&random)
    }

    @Test("Valid lists decode exactly as JSONDecoder decodes them (escapes, surrogate pairs, nulls, unknown fields, numeric ids)")
    func agreesWithJSONDecoder() throws {
        var random = SeededGenerator(seed: 12)
        var decodedFast = 0
        for round in 0..<1_500 {
            let json = Array(Self.list(&random).utf8)
            let expected = Self.foundation(json)
            guard let fast = Self.fast(json) else {
                // Valid input: giving up would only cost time, but it means the fast path misreads something.
                #expect(expected == nil, "round \(round): \(String(decoding: json, as: UTF8.self))")
                continue
            }
            decodedFast += 1
            let reference = try #require(expected, "round \(round): JSONDecoder refused what the fast path read: \(String(decoding: json, as: UTF8.self))")
            #expect(Self.fields(fast) == Self.fields(reference), "round \(round)")
        }
        #expect(decodedFast > 1_000)
    }

    @Test("Damaged input: the fast path never returns a value JSONDecoder would refuse, nor a different one")
    func damagedInputFallsBack() throws {
        var random = SeededGenerator(seed: 99)
        var refusedByBoth = 0
        for round in 0..<3_000 {
            var json = Array(Self.list(&random).utf8)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: json = Array(json.prefix(Int.random(in: 0..<max(1, json.count), using: &random)))
            case 1: if !json.isEmpty { json[Int.random(in: 0..<json.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            default: if !json.isEmpty { json.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0..<json.count, using: &random)) }
            }
            let expected = Self.foundation(json)
            if let fast = Self.fast(json) {
                let reference = try #require(expected, "round \(round): \(json)")
                #expect(Self.fields(fast) == Self.fields(reference), "round \(round)")
            } else if expected == nil {
                refusedByBoth += 1
            }
        }
        #expect(refusedByBoth > 500)
    }

    @Test("Gives up on what it does not read as JSONDecoder would", arguments: [
        #"{"results":[{"id":"1","title":"a","title":"b"}]}"#,            // duplicate field
        #"{"results":[{"id":"1","version":{"number":2.5}}]}"#,           // not an integer
        #"{"results":[{"id":"1","title":"\ud83d"}]}"#,                    // lone surrogate
        "{\"results\":[{\"id\":\"1\",\"title\":\"tab\tinside\"}]}",      // raw control character
        #"{"results":[{"id":"1"}]} x"#,                                    // trailing garbage
        #"{"results":[{"title":"no id"}]}"#,                              // required field missing
        #"{"_links":{}}"#,                                                 // no results
        #"{"results":[{"id":true}]}"#,                                     // mistyped id
        #"{"results":[{"id":"1","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}"#,
    ])
    func givesUp(json: String) {
        #expect(Self.fast(Array(json.utf8)) == nil)
    }

    @Test("Invalid UTF-8 in a string is left to JSONDecoder")
    func invalidUTF8() {
        var json = Array(#"{"results":[{"id":"1","title":"ab"}]}"#.utf8)
        json.insert(0xC3, at: json.count - 5)
        #expect(Self.fast(json) == nil)
    }
}
