import Confluence
import FakeConfluenceSupport
import Foundation
import Logging
import Storage
@testable import Engine

/// An engine on a temporary store, talking to a fake Confluence.
final class EngineHarness: @unchecked Sendable {
    let temporary: TemporaryEngineStore
    let engine: Engine
    let fake: FakeConfluence
    static let email = "sync@example.com"
    static let token = "s3cret-token-\(UUID().uuidString.prefix(8))"

    init(fake: FakeConfluence, options: EngineOptions = EngineHarness.fastOptions()) throws {
        self.fake = fake
        temporary = try TemporaryEngineStore(mapSize: 1 << 26)
        engine = try Engine(store: temporary.store, options: options, logger: Self.quietLogger())
    }

    /// A logger that drops everything: engine logs are not what these tests look at.
    static func quietLogger() -> Logger { Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// A second engine on the same store, as a restarted daemon would open it (not started).
    func restartedEngine(options: EngineOptions = EngineHarness.fastOptions()) throws -> Engine {
        try Engine(store: temporary.store, options: options, logger: Self.quietLogger())
    }

    static func fastOptions() -> EngineOptions {
        var options = EngineOptions()
        options.defaultRateLimit = 1_000
        options.retryBaseMillis = 50
        options.maxRetryDelayMillis = 500
        options.progressIntervalMillis = 10
        return options
    }

    /// Starts a fake with `arguments`, an engine on it, runs `body`, stops both.
    static func with(_ arguments: [String], options: EngineOptions = fastOptions(),
                     _ body: (EngineHarness) async throws -> Void) async throws {
        try await FakeConfluence.with(arguments + ["--email", email, "--token", token]) { fake in
            let harness = try EngineHarness(fake: fake, options: options)
            try await runStarted(harness.engine) { try await body(harness) }
        }
    }

    func configuration(_ name: String, space: String = "GEN", _ adjust: (inout DatastoreConfiguration) -> Void = { _ in }) -> DatastoreConfiguration {
        var configuration = DatastoreConfiguration(
            name: name, url: fake.origin + "/wiki/spaces/\(space)", auth: .apiToken, email: Self.email, tokenSource: .stored)
        adjust(&configuration)
        return configuration
    }

    /// Polls until the datastore satisfies `condition` (or fails the test after `seconds`).
    @discardableResult
    func waitFor(_ name: String, seconds: Double = 60, _ what: String = "condition",
                 _ condition: (DatastoreSnapshot) -> Bool) async throws -> DatastoreSnapshot {
        let deadline = Date().addingTimeInterval(seconds)
        var last: DatastoreSnapshot?
        while Date() < deadline {
            let snapshot = try engine.snapshot(name: name)
            if condition(snapshot) { return snapshot }
            last = snapshot
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError.timeout("\(name) never reached \(what); last state \(last?.record.state.name ?? "?") \(last?.record.lastError ?? "")")
    }

    func waitForReady(_ name: String, seconds: Double = 60) async throws -> DatastoreSnapshot {
        try await waitFor(name, seconds: seconds, "ready") { snapshot in
            if case .ready = snapshot.record.state { return true }
            return false
        }
    }

    /// Waits for the first label refresh after ready (Cloud datastores that exclude no label
    /// survey labels after their cycle, not in it: see `LabelRefresh`).
    @discardableResult
    func waitForLabels(_ name: String, seconds: Double = 60) async throws -> DatastoreSnapshot {
        try await waitFor(name, seconds: seconds, "labels refreshed") { $0.record.labelsRefreshedAt != nil }
    }

    /// A client straight to the fake, for the truth the engine must match.
    func truthClient() async throws -> (ConfluenceClient, Space) {
        let location = try SpaceLocation.parse(fake.origin + "/wiki/spaces/GEN")
        return try await ConfluenceClient.connect(
            to: location, credentials: .apiToken(email: Self.email, token: Self.token),
            governor: RateGovernor(configuration: .init(requestsPerSecond: 0)))
    }

    /// The manifest of a datastore, page id → entry.
    func manifest(_ name: String) throws -> [String: ManifestEntry] {
        let id = try engine.identifier(of: name)
        return try temporary.store.read { txn in
            var result: [String: ManifestEntry] = [:]
            try txn.forEach(in: engine.parts.tables.pages, .prefix(PageRef.prefix(id))) { key, value in
                result[key.pageId] = value.value
                return .continue
            }
            return result
        }
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    var description: String {
        switch self {
        case .timeout(let message): message
        }
    }
}
