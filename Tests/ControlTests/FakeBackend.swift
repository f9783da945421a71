import Control
import Foundation
import Synchronization

/// An in-memory `ControlBackend` that records what it was asked and lets tests drive `Watch`.
actor FakeBackend: ControlBackend {
    private(set) var statuses: [String: DatastoreStatus] = [:]
    private(set) var specs: [String: DatastoreSpec] = [:]
    /// Every call, with the caller of mutations.
    private(set) var calls: [(method: String, caller: ControlCaller?)] = []
    private(set) var addedMillicredits: [Int64] = []
    private(set) var policyChanges: [CreditPolicyChange] = []
    private(set) var lastSearch: (query: String, limit: Int)?
    private(set) var lastSearchRequest: SearchRequest?
    private(set) var lastAskRequest: AskRequest?
    var hits: [SearchHit] = [
        SearchHit(pageId: "101", title: "Expense policy", url: "https://wiki.example/pages/101#receipts", anchor: "receipts",
                  headingPath: ["Finance", "Receipts"], score: 7.25, snippet: "Keep «receipts» for every «expense»"),
        SearchHit(pageId: "102", title: "Travel", url: "https://wiki.example/pages/102", anchor: nil,
                  headingPath: [], score: 3.5, snippet: "Book «travel» early"),
    ]
    var healthStatus = "ok"
    /// Statuses each new watcher receives after the current one.
    var watchScript: [DatastoreStatus] = []
    private var watchers: [String: [AsyncStream<DatastoreStatus>.Continuation]] = [:]
    nonisolated let watchTerminations = Counter()

    init(datastores: [DatastoreStatus] = [FakeBackend.status("handbook", state: "ready")]) {
        for status in datastores {
            statuses[status.name] = status
            specs[status.name] = DatastoreSpec(
                name: status.name, url: status.url, email: "me@example.com", token: "stored-secret", hasToken: true,
                spaces: ["HB"], origin: "socket")
        }
    }

    static func status(_ name: String, state: String, indexed: Int = 40, discovered: Int = 50,
                       progress: ProgressReport? = nil, reason: String? = nil, message: String? = nil) -> DatastoreStatus {
        DatastoreStatus(
            name: name, state: state, reason: reason, message: message, since: "2026-01-02T03:04:05Z",
            url: "https://wiki.example/spaces/\(name)",
            pages: PageCounts(discovered: discovered, indexed: indexed, skipped: 3, failed: 1, pending: discovered - indexed - 4),
            skippedByReason: ["archived": 2, "excluded_by_label": 1], progress: progress, searchable: indexed > 0,
            partiallySynced: true, unrenderedMacros: ["jira": 2])
    }

    func setWatchScript(_ script: [DatastoreStatus]) { watchScript = script }
    func setHealth(_ status: String) { healthStatus = status }

    /// Sends `status` to every watcher of its datastore.
    func publish(_ status: DatastoreStatus) {
        statuses[status.name] = status
        for watcher in watchers[status.name] ?? [] { watcher.yield(status) }
    }

    var watcherCount: Int { watchers.values.reduce(0) { $0 + $1.count } }

    private func record(_ method: String, _ caller: ControlCaller? = nil) {
        calls.append((method, caller))
    }

    private func existing(_ name: String) throws(ControlError) -> DatastoreStatus {
        guard let status = statuses[name] else { throw .noSuchDatastore(name: name) }
        return status
    }

    func createDatastore(_ spec: DatastoreSpec, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        record("create", caller)
        guard statuses[spec.name] == nil else { throw .datastoreExists(name: spec.name) }
        guard spec.token == "good-token" else { throw .authenticationFailed(message: "Confluence answered 401 for \(spec.email ?? "")") }
        specs[spec.name] = spec
        let status = Self.status(spec.name, state: "syncing_metadata", indexed: 0, discovered: 0)
        statuses[spec.name] = status
        return status
    }

    func updateDatastore(name: String, changes: DatastoreChanges, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        record("update", caller)
        var spec = specs[name] ?? DatastoreSpec(name: name, url: "")
        if let url = changes.url { spec.url = url }
        if let token = changes.token { spec.token = token }
        specs[name] = spec
        return try existing(name)
    }

    func deleteDatastore(name: String, by caller: ControlCaller) async throws(ControlError) {
        record("delete", caller)
        _ = try existing(name)
        statuses[name] = nil
        specs[name] = nil
        for watcher in watchers.removeValue(forKey: name) ?? [] { watcher.finish() }
    }

    func listDatastores() async throws(ControlError) -> [DatastoreStatus] {
        record("list")
        return statuses.values.sorted { $0.name < $1.name }
    }

    func datastore(name: String) async throws(ControlError) -> DatastoreStatus {
        record("get")
        return try existing(name)
    }

    func datastoreSpec(name: String) async throws(ControlError) -> DatastoreSpec {
        guard let spec = specs[name] else { throw .noSuchDatastore(name: name) }
        return spec
    }

    private func transition(_ method: String, _ name: String, _ caller: ControlCaller, to state: String) throws(ControlError) -> DatastoreStatus {
        record(method, caller)
        var status = try existing(name)
        status.state = state
        publish(status)
        return status
    }

    func resync(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try transition("resync", name, caller, to: "syncing_metadata")
    }

    func pause(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try transition("pause", name, caller, to: "paused")
    }

    func resume(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try transition("resume", name, caller, to: "processing")
    }

    func watch(name: String) async throws(ControlError) -> AsyncStream<DatastoreStatus> {
        record("watch")
        let current = try existing(name)
        let (stream, continuation) = AsyncStream.makeStream(of: DatastoreStatus.self)
        let terminations = watchTerminations
        continuation.onTermination = { _ in terminations.increment() }
        continuation.yield(current)
        for status in watchScript { continuation.yield(status) }
        watchers[name, default: []].append(continuation)
        return stream
    }

    func search(_ request: SearchRequest) async throws(ControlError) -> [SearchHit] {
        record("search")
        for name in request.datastores { _ = try existing(name) }
        lastSearch = (request.query, request.limit)
        lastSearchRequest = request
        return Array(hits.prefix(request.limit))
    }

    func page(_ request: PageRequest) async throws(ControlError) -> PageContent {
        record("page")
        _ = try existing(request.datastore)
        guard request.page == "101" else { throw .noSuchPage(datastore: request.datastore, pageId: request.page) }
        let text = Array("# Expense policy\n\nKeep receipts for every expense.\n".unicodeScalars)
        let start = min(request.offset, text.count)
        let end = min(text.count, start + (request.maxChars ?? text.count))
        var part = String.UnicodeScalarView()
        part.append(contentsOf: text[start..<end])
        return PageContent(
            datastore: request.datastore, pageId: "101", title: "Expense policy", url: "https://wiki.example/pages/101",
            space: "HB", labels: ["finance"], version: 4, lastModified: "2026-01-02T03:04:05Z",
            outline: [PageSection(anchor: "expense-policy", title: "Expense policy", level: 1, offset: 0, length: text.count)],
            section: request.section, text: String(part), offset: start, totalChars: text.count,
            nextOffset: end < text.count ? end : nil)
    }

    func ask(_ request: AskRequest, onDelta: @escaping @Sendable (String) -> Void) async throws(ControlError) -> AskAnswer {
        record("ask")
        lastAskRequest = request
        for delta in ["Keep ", "receipts [1]."] { onDelta(delta) }
        return AskAnswer(
            answer: "Keep receipts [1].",
            citations: [Citation(n: 1, datastore: "handbook", pageId: "101", title: "Expense policy",
                                 url: "https://wiki.example/pages/101#receipts")],
            mode: "generated", model: "fake", usage: ModelUsage(promptTokens: 10, completionTokens: 4))
    }

    private(set) var mcpKeys: [String: String] = [:]

    func createMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) -> MCPKeyCreated {
        record("createMCPKey", caller)
        guard mcpKeys[label] == nil else { throw .keyExists(label: label) }
        let key = "trb_fake_\(label)"
        mcpKeys[label] = key
        return MCPKeyCreated(label: label, key: key)
    }

    func listMCPKeys() async throws(ControlError) -> [MCPKeyInfo] {
        record("listMCPKeys")
        return mcpKeys.keys.sorted().map { MCPKeyInfo(label: $0, created: "2026-01-02T03:04:05Z") }
    }

    func revokeMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) {
        record("revokeMCPKey", caller)
        guard mcpKeys.removeValue(forKey: label) != nil else { throw .noSuchKey(label: label) }
    }

    func explain(name: String, pageId: String) async throws(ControlError) -> PageExplanation {
        record("explain")
        _ = try existing(name)
        guard pageId == "101" else { throw .noSuchPage(datastore: name, pageId: pageId) }
        return PageExplanation(
            pageId: "101", title: "Expense policy", disposition: "indexed", reason: nil, versionSeen: 4, versionIndexed: 4,
            chunks: 6, url: "https://wiki.example/pages/101", unrenderedMacros: ["jira"], lastProcessed: "2026-01-02T03:04:05Z")
    }

    private var creditsReport: CreditsReport {
        let balance = 100_000 + addedMillicredits.reduce(0, +)
        return CreditsReport(
            balanceMillicredits: balance, enforced: !addedMillicredits.isEmpty, millicreditsPerThousandTokens: 500,
            spentMillicredits: 2_500,
            autoTopOff: AutoTopOff(enabled: policyChanges.last?.autoTopOffEnabled ?? false, amountMillicredits: 50_000,
                                   thresholdMillicredits: 5_000, monthlyCapMillicredits: 200_000, usedThisMonthMillicredits: 0),
            recent: [LedgerLine(sequence: 1, time: "2026-01-02T03:04:05Z", kind: "charge", millicredits: -2_500,
                                balanceAfter: balance, datastore: "handbook", pageId: "101", pageVersion: 4, note: nil)])
    }

    func credits(recentEntries: Int) async throws(ControlError) -> CreditsReport {
        record("credits")
        return creditsReport
    }

    func addCredits(millicredits: Int64, note: String?, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        record("addCredits", caller)
        addedMillicredits.append(millicredits)
        return creditsReport
    }

    func setCreditPolicy(_ change: CreditPolicyChange, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        record("setCreditPolicy", caller)
        policyChanges.append(change)
        return creditsReport
    }

    func health() async -> HealthReport {
        HealthReport(
            status: healthStatus, version: "0.1-test", uptimeSeconds: 3725, datastoresByState: ["ready": 1],
            engineHeartbeatAgeSeconds: 0.4, storeUsedBytes: 10 << 20, storeMapBytes: 1 << 30,
            problems: healthStatus == "ok" ? [] : ["datastore handbook failed"])
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func increment() { value.withLock { $0 += 1 } }
}

/// Polls `condition` for up to `seconds` without blocking a thread.
func eventually(seconds: Double = 5, _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
