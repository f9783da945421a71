import Control
import Foundation
import Varlink

/// Columns padded to their widest cell; the last column is not padded.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) {
        self.header = header
    }

    mutating func add(_ cells: String...) {
        rows.append(cells)
    }

    var rendered: String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return all.map { row in
            var line = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}

/// How a datastore's state reads at a glance: ready gets a check mark.
enum StateMark {
    static func of(_ status: DatastoreStatus) -> String {
        let reason = status.reason.map { " (\($0))" } ?? ""
        switch status.state {
        case "ready": return status.partiallySynced ? "✔ ready (partial)" : "✔ ready"
        case "syncing_metadata", "processing": return "⟳ \(status.state)"
        case "paused": return "‖ paused\(reason)"
        case "failed": return "✖ failed\(reason)"
        default: return status.state + reason
        }
    }
}

enum Format {
    /// `1h 02m`, `3m 05s`, `42s`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%dh %02dm", total / 3600, total % 3600 / 60) }
        if total >= 60 { return String(format: "%dm %02ds", total / 60, total % 60) }
        return "\(total)s"
    }

    /// `[██████░░░░] 60% 600/1000 pages · 12.5 pages/s · ETA 32s`.
    static func progress(_ progress: ProgressReport, width: Int = 24) -> String {
        let fraction = progress.total > 0 ? min(1, Double(progress.done) / Double(progress.total)) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var text = "[\(bar)] \(Int((fraction * 100).rounded(.down)))% \(progress.done)/\(progress.total) pages"
        if progress.pagesPerSecond > 0 { text += String(format: " · %.1f pages/s", progress.pagesPerSecond) }
        if let eta = progress.etaSeconds { text += " · ETA \(duration(eta))" }
        return text
    }

    /// `120 discovered · 110 indexed · 8 skipped · 2 failed · 0 pending`.
    static func pages(_ pages: PageCounts) -> String {
        "\(pages.discovered) discovered · \(pages.indexed) indexed · \(pages.skipped) skipped · "
            + "\(pages.failed) failed · \(pages.pending) pending"
    }

    /// `name 3, other 1`, largest first.
    static func counts(_ counts: [String: Int]) -> String {
        counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    static func credits(_ millicredits: Int64) -> String {
        CreditAmount.format(millicredits)
    }
}

/// JSON for scripts: sorted keys, and the optional members the contract names present as null.
enum JSONOutput {
    static func render(_ value: some Encodable, nullMembers: [String] = []) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
        json = withNulls(json, nullMembers)
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return String(decoding: try encoder.encode(json), as: UTF8.self) + "\n"
    }

    /// One compact line (for streams: one JSON document per line).
    static func line(_ value: some Encodable, nullMembers: [String] = []) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = withNulls(try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value)), nullMembers)
        return String(decoding: try encoder.encode(json), as: UTF8.self) + "\n"
    }

    /// Adds `null` for each absent member named in `paths` (`"reason"`, `"results[].anchor"`).
    static func withNulls(_ value: JSONValue, _ paths: [String]) -> JSONValue {
        paths.reduce(value) { fill($0, path: $1[...]) }
    }

    private static func fill(_ value: JSONValue, path: Substring) -> JSONValue {
        guard case .object(var members) = value else { return value }
        let head = path.prefix { $0 != "." }
        let rest = path.dropFirst(head.count).dropFirst()
        if head.hasSuffix("[]") {
            let key = String(head.dropLast(2))
            if case .array(let elements) = members[key] {
                members[key] = .array(elements.map { fill($0, path: rest) })
            }
        } else if rest.isEmpty {
            if members[String(head)] == nil { members[String(head)] = .null }
        } else if let inner = members[String(head)] {
            members[String(head)] = fill(inner, path: rest)
        }
        return .object(members)
    }

    /// Optional members of a status, always present in `--json` output.
    static let statusNulls = [
        "reason", "message", "progress", "lastSyncCompleted", "nextSync", "estimatedMillicredits", "origin", "waiting",
    ]
}
