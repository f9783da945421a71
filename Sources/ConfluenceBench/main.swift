// ConfluenceBench: throughput and rate-limit adherence of the Confluence client against the
// project's fake server. Usage:
//   swift run ConfluenceBench [--pages N] [--rate R] [--latency-ms L] [--seconds S] [--json]
// Phase "sync": list a space of N pages (limit 250, no bodies), then fetch every body by id.
// Phase "pace": for S seconds, 32 workers call a cheap endpoint through a governor set to R,
// 0.95·R and 2·R (misconfigured), against a server limit of R.
// Phase "learn": the same for at least 12 s with no configured rate, against buckets of
// 2 req/s (burst 2) and 10 req/s (burst 20): the governor paces from the X-RateLimit headers.
import Confluence
import Foundation
import HTTP
import Logging

struct Options {
    var pages = 5000
    var rate = 20.0
    var latencyMs = 20
    var seconds = 8.0
    var json = false

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            func value() throws -> String {
                guard let next = iterator.next() else { throw BenchError("\(flag) needs a value") }
                return next
            }
            switch flag {
            case "--pages": pages = Int(try value()) ?? pages
            case "--rate": rate = Double(try value()) ?? rate
            case "--latency-ms": latencyMs = Int(try value()) ?? latencyMs
            case "--seconds": seconds = Double(try value()) ?? seconds
            case "--json": json = true
            default: throw BenchError("unknown option \(flag); see the comment at the top of main.swift")
            }
        }
    }
}

let email = "bench@example.com"
let token = "bench-token"

func repositoryRoot() -> URL {
    let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    if FileManager.default.fileExists(atPath: fromSource.appendingPathComponent("scripts/fake-confluence").path) { return fromSource }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

func connect(_ fake: FakeServer, governor: RateGovernor) async throws -> (ConfluenceClient, Space) {
    let location = try SpaceLocation.parse(fake.origin + "/wiki/spaces/GEN/overview")
    var logger = Logger(label: "tributary.bench")
    logger.logLevel = .error  // retries are expected here; keep stdout for the figures
    return try await ConfluenceClient.connect(
        to: location, credentials: .apiToken(email: email, token: token), governor: governor, options: .init(logger: logger))
}

/// Lists the space and fetches all bodies; returns the figures of the sync phase.
func syncPhase(_ options: Options, root: URL) async throws -> [String: Double] {
    let fake = try await FakeServer.start(root: root, arguments: [
        "--generate", String(options.pages), "--email", email, "--token", token,
        "--latency-ms", String(options.latencyMs), "--no-prewarm",
    ])
    let governor = RateGovernor(configuration: .init(requestsPerSecond: 0, maxConcurrency: 8))
    let started: ContinuousClock.Instant, listed: ContinuousClock.Instant, finished: ContinuousClock.Instant
    var ids: [String] = []
    let bodies: [Page]
    let requests: Int, throttled: Int, listRequests: Int
    do {
        let (client, space) = try await connect(fake, governor: governor)
        try await fake.resetStats()
        started = ContinuousClock.now
        for try await batch in client.pages(in: space, statuses: [.current, .archived]) { ids += batch.map(\.id) }
        listed = ContinuousClock.now
        listRequests = try await fake.counts().requests
        bodies = try await client.pages(ids: ids)
        finished = ContinuousClock.now
        (requests, throttled) = try await fake.counts()
        await fake.stop()
    } catch {
        await fake.stop()
        throw error
    }
    let listSeconds = seconds(listed - started)
    let total = seconds(finished - started)
    return [
        "pages": Double(ids.count),
        "bodies": Double(bodies.count),
        "listPagesPerSecond": Double(ids.count) / listSeconds,
        "syncPagesPerSecond": Double(ids.count) / total,
        "listRequestsPer1000Pages": Double(listRequests) / Double(max(ids.count, 1)) * 1000,
        "requestsPer1000Pages": Double(requests) / Double(max(ids.count, 1)) * 1000,
        "throttled": Double(throttled),
        "seconds": total,
    ]
}

/// Hammers a cheap endpoint for `options.seconds` with a governor at `fraction`·R.
func pacePhase(_ options: Options, root: URL, fraction: Double) async throws -> [String: Double] {
    let fake = try await FakeServer.start(root: root, arguments: [
        "--generate", "300", "--email", email, "--token", token, "--rate-limit", String(options.rate),
        "--latency-ms", String(options.latencyMs), "--no-prewarm",
    ])
    let governor = RateGovernor(configuration: .init(
        requestsPerSecond: options.rate * fraction, burst: 1, maxConcurrency: 32, maxThrottleRetries: 50))
    do {
        return try await measurePace(options, fake: fake, governor: governor, fraction: fraction)
    } catch {
        await fake.stop()
        throw error
    }
}

/// Hammers a cheap endpoint with no configured rate against a bucket of `rate` and `burst`.
func learnPhase(_ options: Options, root: URL, rate: Double, burst: Int) async throws -> [String: Double] {
    let fake = try await FakeServer.start(root: root, arguments: [
        "--generate", "300", "--email", email, "--token", token, "--rate-limit", String(rate), "--burst", String(burst),
        "--latency-ms", String(options.latencyMs), "--no-prewarm",
    ])
    // No rate configured at all; the daemon would add its 10 req/s default as a ceiling.
    let governor = RateGovernor(configuration: .init(requestsPerSecond: 0, maxConcurrency: 32, maxThrottleRetries: 50))
    var measured = options
    measured.rate = rate
    measured.seconds = max(options.seconds, 12)
    do {
        var figures = try await measurePace(measured, fake: fake, governor: governor, fraction: 1)
        figures["governorRate"] = 0
        figures["learnedRate"] = await governor.learnedRate ?? 0
        return figures
    } catch {
        await fake.stop()
        throw error
    }
}

func measurePace(_ options: Options, fake: FakeServer, governor: RateGovernor, fraction: Double) async throws -> [String: Double] {
    let (client, space) = try await connect(fake, governor: governor)
    let ids = try await client.pages(in: space).collect().map(\.id)
    // Let the server's bucket refill after the setup calls, then measure from a clean slate.
    try await Task.sleep(for: .seconds(1.5))
    try await fake.resetStats()
    let deadline = ContinuousClock.now + .seconds(options.seconds)
    let started = ContinuousClock.now
    let succeeded = await withTaskGroup(of: Int.self) { group in
        for worker in 0..<32 {
            group.addTask {
                var done = 0
                var index = worker
                while ContinuousClock.now < deadline {
                    if (try? await client.labels(pageId: ids[index % ids.count])) != nil { done += 1 }
                    index += 32
                }
                return done
            }
        }
        return await group.reduce(0, +)
    }
    let elapsed = seconds(ContinuousClock.now - started)
    let (requests, throttled) = try await fake.counts()
    await fake.stop()
    let achieved = Double(succeeded) / elapsed
    return [
        "governorRate": options.rate * fraction,
        "achievedRate": achieved,
        "fractionOfR": achieved / options.rate,
        "requests": Double(requests),
        "throttled": Double(throttled),
        "throttledShare": Double(throttled) / Double(max(requests, 1)),
        "finalConcurrency": Double(await governor.concurrencyLimit),
    ]
}

func seconds(_ duration: Duration) -> Double {
    let (whole, atto) = duration.components
    return Double(whole) + Double(atto) / 1e18
}

func format(_ value: Double?) -> String {
    guard let value else { return "-" }
    return value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.3f", value)
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let root = repositoryRoot()
    let sync = try await syncPhase(options, root: root)
    var pace: [(String, [String: Double])] = []
    for (label, fraction) in [("1.00R", 1.0), ("0.95R", 0.95), ("2.00R", 2.0)] {
        pace.append((label, try await pacePhase(options, root: root, fraction: fraction)))
    }
    var learn: [(String, [String: Double])] = []
    for (rate, burst) in [(2.0, 2), (10.0, 20)] {
        learn.append(("R=\(format(rate)) burst=\(burst)", try await learnPhase(options, root: root, rate: rate, burst: burst)))
    }
    if options.json {
        var object: [String: Any] = ["sync": sync, "serverRate": options.rate, "latencyMs": options.latencyMs]
        object["pace"] = Dictionary(uniqueKeysWithValues: pace.map { ($0.0, $0.1) })
        object["learn"] = Dictionary(uniqueKeysWithValues: learn.map { ($0.0, $0.1) })
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        print("sync  pages=\(format(sync["pages"])) list=\(format(sync["listPagesPerSecond"])) pages/s "
            + "sync=\(format(sync["syncPagesPerSecond"])) pages/s requests/1000 pages: listing=\(format(sync["listRequestsPer1000Pages"])) "
            + "with bodies=\(format(sync["requestsPer1000Pages"])) "
            + "429s=\(format(sync["throttled"])) (latency \(options.latencyMs) ms, no rate limit)")
        for (label, figures) in pace {
            print("pace  governor=\(label) achieved=\(format(figures["achievedRate"])) req/s "
                + "=\(format(figures["fractionOfR"]))·R 429 share=\(format(figures["throttledShare"])) "
                + "requests=\(format(figures["requests"])) final concurrency=\(format(figures["finalConcurrency"]))")
        }
        for (label, figures) in learn {
            print("learn \(label) no configured rate: achieved=\(format(figures["achievedRate"])) req/s "
                + "=\(format(figures["fractionOfR"]))·R 429 share=\(format(figures["throttledShare"])) "
                + "requests=\(format(figures["requests"])) learnt=\(format(figures["learnedRate"])) req/s")
        }
    }
} catch {
    FileHandle.standardError.write(Data("ConfluenceBench: \(error)\n".utf8))
    exit(1)
}
