// `scripts/bench` runs this in release mode. Each suite prints its figures, with a baseline
// measured in the same run where one makes sense, so results compare across noisy machines.
import Foundation

let suites: [String: () throws -> Void] = [
    "storage": StorageBench.run,
    "search": SearchBench.run,
    "search-build": SearchBench.runBuild,
    "search-results": SearchBench.runResults,
    "vectors": VectorBench.run,
]

let requested = Array(CommandLine.arguments.dropFirst())
// `index-growth` takes arguments of its own (the pages file, options): see IndexGrowthBench.
if requested.first == "index-growth" {
    do {
        try IndexGrowthBench.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench index-growth failed: \(error)\n".utf8))
        exit(1)
    }
}
// `retrieval WORKDIR` takes an argument, so it runs alone (scripts/lib/bench_retrieval.py calls it).
if requested.first == "retrieval" {
    do {
        try RetrievalBench.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench retrieval failed: \(error)\n".utf8))
        exit(1)
    }
}
// `fingerprint STATE_DIR NAME OUT [QUERY…]` writes a datastore's StateFingerprint, one fact a line
// (scripts/lib/bench_crash.py compares a crashed run's with an uninterrupted run's).
if requested.first == "fingerprint" {
    do {
        try FingerprintCommand.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench fingerprint failed: \(error)\n".utf8))
        exit(1)
    }
}
// `search-latency STATE_DIR NAME [--count N] [--warmup W] QUERY…`: the daemon's lexical search
// timed in-process (scripts/lib/bench_mcp.py prints it beside the socket's figure).
if requested.first == "search-latency" {
    do {
        try SearchLatencyCommand.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench search-latency failed: \(error)\n".utf8))
        exit(1)
    }
}
// `conversion PAGES_FILE [--pages N] [--rounds R]`: the sync's per-page CPU work by stage, with a
// digest of its output (for profiling the conversion; see ConversionCommand).
if requested.first == "conversion" {
    do {
        try ConversionCommand.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench conversion failed: \(error)\n".utf8))
        exit(1)
    }
}
// `retrieval-hybrid WORKDIR`: the same with chunk embeddings and hybrid search (needs an embedding endpoint).
if requested.first == "retrieval-hybrid" {
    do {
        try await HybridRetrievalBench.run(arguments: Array(requested.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("bench retrieval-hybrid failed: \(error)\n".utf8))
        exit(1)
    }
}
/// `search-build` only repeats part of `search`, for profiling, and `search-results` dumps
/// rankings to compare across index changes: `all` leaves them out.
let names = requested.isEmpty || requested == ["all"] ? ["search", "storage"] : requested
for name in names {
    guard let suite = suites[name] else {
        FileHandle.standardError.write(Data("unknown bench '\(name)'; available: \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(64)
    }
    do {
        try suite()
    } catch {
        FileHandle.standardError.write(Data("bench \(name) failed: \(error)\n".utf8))
        exit(1)
    }
}
