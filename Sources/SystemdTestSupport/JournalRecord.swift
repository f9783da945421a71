import Foundation

/// One journal entry as `journalctl -o json --all` prints it.
public struct JournalRecord: Sendable, Equatable {
    /// Every field's values: journald allows a field to repeat, and binary values arrive as bytes
    /// (decoded here as UTF-8).
    public var fields: [String: [String]]

    public init(fields: [String: [String]]) {
        self.fields = fields
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { fields[name]?.first }

    /// Parses `journalctl -o json` output: one JSON object per line.
    public static func parse(jsonLines: String) throws -> [JournalRecord] {
        try jsonLines.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HarnessError("journalctl printed a line that is not a JSON object: \(line.prefix(200))")
            }
            var fields: [String: [String]] = [:]
            for (name, value) in object {
                fields[name] = values(value)
            }
            return JournalRecord(fields: fields)
        }
    }

    /// A string, an array of bytes (binary), or an array of either (a repeated field).
    private static func values(_ value: Any) -> [String] {
        switch value {
        case let text as String:
            return [text]
        case let items as [Any]:
            if let bytes = items as? [Int], !items.contains(where: { $0 is String || $0 is [Any] }) {
                return [String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)]
            }
            return items.flatMap(values)
        default:
            return []
        }
    }
}
