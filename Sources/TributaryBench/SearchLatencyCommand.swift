import Engine
import Foundation
import Logging
import Storage

/// `TributaryBench search-latency STATE_DIR NAME [--count N] [--warmup W] QUERY…`: times the
/// daemon's lexical search in-process (the engine's `search`, which the control socket's
/// `Search` calls: ranking, passages, snippets and the page and attachment lookups that cite
/// them), the queries used in turn, and prints p50/p99 as JSON. Run it with no daemon on the
/// directory; `scripts/bench mcp` prints it beside the same searches through the socket.
enum SearchLatencyCommand {
    struct Usage: Error, CustomStringConvertible {
        var description: String { "usage: TributaryBench search-latency STATE_DIR NAME [--count N] [--warmup W] QUERY…" }
    }

    static func run(arguments: [String]) throws {
        var rest = arguments[...]
        guard rest.count >= 3, let directory = rest.popFirst(), let name = rest.popFirst() else { throw Usage() }
        var count = 2000
        var warmup = 50
        var queries: [String] = []
        while let argument = rest.popFirst() {
            switch argument {
            case "--count":
                guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else { throw Usage() }
                count = value
            case "--warmup":
                guard let value = rest.popFirst().flatMap({ Int($0) }), value >= 0 else { throw Usage() }
                warmup = value
            default: queries.append(argument)
            }
        }
        guard !queries.isEmpty else { throw Usage() }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let engine = try Engine(store: store, logger: Logger(label: "bench"))
        for index in 0..<warmup {
            _ = try engine.search(datastores: [name], query: queries[index % queries.count], limit: 10)
        }
        var milliseconds: [Double] = []
        milliseconds.reserveCapacity(count)
        var results = 0
        for index in 0..<count {
            let (hits, seconds) = try Measure.timed {
                try engine.search(datastores: [name], query: queries[index % queries.count], limit: 10)
            }
            results += hits.count
            milliseconds.append(seconds * 1e3)
        }
        milliseconds.sort()
        let rank = { (fraction: Double) in milliseconds[max(0, Int((fraction * Double(count)).rounded(.up)) - 1)] }
        let figures: [String: Double] = [
            "calls": Double(count), "p50Ms": rank(0.5), "p99Ms": rank(0.99),
            "meanMs": milliseconds.reduce(0, +) / Double(count), "resultsPerCall": Double(results) / Double(count),
        ]
        let json = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
