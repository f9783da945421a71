import Confluence
import EngineTestSupport
import Foundation
import Logging
import Storage
@testable import Engine

/// An engine on a temporary store reading an ``InMemoryConfluence``, on a ``ManualClock``, with
/// a free-space probe the test sets: deterministic, in process, no network and no sleeps.
final class InProcessHarness: @unchecked Sendable {
    let temporary: TemporaryEngineStore
    let clock: ManualClock
    let confluence: InMemoryConfluence
    let probe = ManualFreeSpaceProbe()
    private(set) var engine: Engine
    let options: EngineOptions

    init(options: EngineOptions = InProcessHarness.options(), confluence: InMemoryConfluence = InMemoryConfluence(),
         temporary: TemporaryEngineStore? = nil, clock: ManualClock = ManualClock()) throws {
        self.temporary = try temporary ?? TemporaryEngineStore(mapSize: 1 << 26)
        self.clock = clock
        self.confluence = confluence
        self.options = options
        engine = try Engine(store: self.temporary.store, options: options, logger: EngineHarness.quietLogger(),
                            sources: confluence, clock: clock, freeSpace: probe)
    }

    static func options() -> EngineOptions {
        var options = EngineOptions()
        options.progressIntervalMillis = 0
        options.retryBaseMillis = 1_000
        options.maxRetryDelayMillis = 8_000
        return options
    }

    /// Starts an engine on a fresh store, runs `body`, stops it.
    static func with(options: EngineOptions = options(), _ body: (InProcessHarness) async throws -> Void) async throws {
        let harness = try InProcessHarness(options: options)
        try await runStarted(harness.engine) { try await body(harness) }
    }

    /// Stops the engine and opens a new one on the same store and clock (a restarted daemon).
    func restart() async throws {
        await engine.stop()
        engine = try Engine(store: temporary.store, options: options, logger: EngineHarness.quietLogger(),
                            sources: confluence, clock: clock, freeSpace: probe)
        try await engine.start()
    }

    /// An anonymous datastore on a space of the in-memory site.
    func configuration(_ name: String, space: String = "DOC", _ adjust: (inout DatastoreConfiguration) -> Void = { _ in }) -> DatastoreConfiguration {
        var configuration = DatastoreConfiguration(name: name, url: confluence.url(space: space), auth: .anonymous, tokenSource: .none)
        adjust(&configuration)
        return configuration
    }

    /// Waits until the datastore satisfies `condition` (see ``Watcher``).
    @discardableResult
    func until(_ name: String, _ what: String, seconds: Double = 30,
               _ condition: @escaping @Sendable (DatastoreSnapshot) -> Bool) async throws -> DatastoreSnapshot {
        try await Watcher(engine: engine).until(name, what, seconds: seconds, condition)
    }

    func ready(_ name: String) async throws -> DatastoreSnapshot {
        try await until(name, "ready") { $0.record.state == .ready }
    }

    /// The manifest of a datastore, page id → entry.
    func manifest(_ name: String) throws -> [String: ManifestEntry] {
        let id = try engine.identifier(of: name)
        return try temporary.store.read { txn in
            try engine.parts.manifest.entries(txn, datastore: id) { _ in true }
        }.reduce(into: [:]) { $0[$1.pageId] = $1 }
    }
}

extension InProcessHarness {
    /// Waits on an engine's watch stream (not by polling) until a datastore satisfies a
    /// condition; fails after `seconds` of real time, a bound in case the engine never gets there.
    struct Watcher {
        let engine: Engine

        @discardableResult
        func until(_ name: String, _ what: String, seconds: Double = 30,
                   _ condition: @escaping @Sendable (DatastoreSnapshot) -> Bool) async throws -> DatastoreSnapshot {
            let snapshots = try engine.watch(name: name)
            let found = try await withThrowingTaskGroup(of: DatastoreSnapshot?.self) { group in
                group.addTask {
                    for await snapshot in snapshots where condition(snapshot) { return snapshot }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let found else {
                let last = try? engine.snapshot(name: name)
                throw HarnessError.timeout("\(name) never reached \(what); last state \(last?.record.state.name ?? "?") \(last?.record.lastError ?? "")")
            }
            return found
        }
    }
}

/// Starts `engine`, runs `body`, and stops the engine whether `body` threw or not.
func runStarted(_ engine: Engine, _ body: () async throws -> Void) async throws {
    try await engine.start()
    do {
        try await body()
        await engine.stop()
    } catch {
        await engine.stop()
        throw error
    }
}
