import Engine
import Foundation

/// `TributaryBench fingerprint STATE_DIR NAME OUT [QUERY…]`: writes the ``StateFingerprint`` of
/// datastore NAME, one fact a line, to OUT, and prints its page counts by disposition as JSON.
/// The queries default to the handbook ones.
enum FingerprintCommand {
    struct Usage: Error, CustomStringConvertible {
        var description: String { "usage: TributaryBench fingerprint STATE_DIR NAME OUT [QUERY…]" }
    }

    static func run(arguments: [String]) throws {
        guard arguments.count >= 3 else { throw Usage() }
        let queries = arguments.count > 3 ? Array(arguments[3...]) : StateFingerprint.handbookQueries
        let fingerprint = try StateFingerprint(stateDirectory: arguments[0], datastore: arguments[1], queries: queries)
        try (fingerprint.lines.joined(separator: "\n") + "\n").write(toFile: arguments[2], atomically: true, encoding: .utf8)
        let summary = try JSONSerialization.data(withJSONObject: fingerprint.dispositions, options: [.sortedKeys])
        print(String(decoding: summary, as: UTF8.self))
    }
}
