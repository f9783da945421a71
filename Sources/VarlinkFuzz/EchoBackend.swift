import Control

/// A `ControlBackend` with no state that answers every call at once, echoing what it was given
/// into its replies (names, URLs, queries, labels), so fuzzed strings also go through reply
/// encoding. Every datastore exists except one named "missing", which exercises the error path.
struct EchoBackend: ControlBackend {
    private static let since = "2026-01-02T03:04:05Z"

    private func status(_ name: String, url: String = "https://wiki.example/spaces/X") -> DatastoreStatus {
        DatastoreStatus(
            name: name, state: "ready", since: Self.since, url: url, pages: PageCounts(discovered: 2, indexed: 1),
            skippedByReason: ["archived": 1], searchable: true, unrenderedMacros: ["jira": 1])
    }

    private func existing(_ name: String) throws(ControlError) -> DatastoreStatus {
        guard name != "missing" else { throw .noSuchDatastore(name: name) }
        return status(name)
    }

    private func credits(note: String? = nil) -> CreditsReport {
        CreditsReport(
            balanceMillicredits: 1_000, enforced: true, millicreditsPerThousandTokens: 1_000, spentMillicredits: 5,
            autoTopOff: AutoTopOff(
                enabled: false, amountMillicredits: 0, thresholdMillicredits: 0, monthlyCapMillicredits: 0,
                usedThisMonthMillicredits: 0),
            recent: [LedgerLine(
                sequence: 1, time: Self.since, kind: "added", millicredits: 1_000, balanceAfter: 1_000, datastore: nil,
                pageId: nil, pageVersion: nil, note: note)])
    }

    func createDatastore(_ spec: DatastoreSpec, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        guard spec.name != "missing" else { throw .datastoreExists(name: spec.name) }
        return status(spec.name, url: spec.url)
    }

    func updateDatastore(name: String, changes: DatastoreChanges, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        var updated = try existing(name)
        if let url = changes.url { updated.url = url }
        return updated
    }

    func deleteDatastore(name: String, by caller: ControlCaller) async throws(ControlError) {
        _ = try existing(name)
    }

    func listDatastores() async throws(ControlError) -> [DatastoreStatus] {
        [status("handbook"), status("wiki")]
    }

    func datastore(name: String) async throws(ControlError) -> DatastoreStatus {
        try existing(name)
    }

    func datastoreSpec(name: String) async throws(ControlError) -> DatastoreSpec {
        _ = try existing(name)
        return DatastoreSpec(name: name, url: "https://wiki.example/spaces/X", email: "me@example.com", hasToken: true, spaces: ["X"])
    }

    func resync(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try existing(name)
    }

    func pause(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try existing(name)
    }

    func resume(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        try existing(name)
    }

    func watch(name: String) async throws(ControlError) -> AsyncStream<DatastoreStatus> {
        let first = try existing(name)
        // Two statuses, then the end: a finite stream, so a fuzzed Watch call completes.
        return AsyncStream { continuation in
            continuation.yield(first)
            continuation.yield(first)
            continuation.finish()
        }
    }

    func search(_ request: SearchRequest) async throws(ControlError) -> [SearchHit] {
        [SearchHit(
            pageId: "101", title: request.query, url: "https://wiki.example/pages/101", anchor: nil,
            headingPath: request.labels, score: 1.5, snippet: request.query, datastore: request.datastores.first,
            space: request.spaces.first, labels: request.labels, lastModified: request.modifiedAfter, version: 3)]
    }

    func page(_ request: PageRequest) async throws(ControlError) -> PageContent {
        _ = try existing(request.datastore)
        return PageContent(
            datastore: request.datastore, pageId: request.page, title: "Title", url: "https://wiki.example/pages/1",
            space: "X", labels: [], version: 1, lastModified: nil,
            outline: [PageSection(anchor: "a", title: "A", level: 1, offset: 0, length: 4)], section: request.section,
            text: "Text", offset: request.offset, totalChars: 4, nextOffset: nil)
    }

    func ask(_ request: AskRequest, onDelta: @escaping @Sendable (String) -> Void) async throws(ControlError) -> AskAnswer {
        onDelta(request.question)
        return AskAnswer(
            answer: request.question + " [1]",
            citations: [Citation(n: 1, datastore: request.datastores.first ?? "handbook", pageId: "1", title: "T", url: "https://wiki.example/pages/1")],
            mode: "extractive", reason: "no model is configured")
    }

    func explain(name: String, pageId: String) async throws(ControlError) -> PageExplanation {
        _ = try existing(name)
        return PageExplanation(
            pageId: pageId, title: nil, disposition: "indexed", reason: nil, versionSeen: 1, versionIndexed: 1, chunks: 1,
            url: nil, unrenderedMacros: [], lastProcessed: Self.since)
    }

    func credits(recentEntries: Int) async throws(ControlError) -> CreditsReport {
        credits()
    }

    func addCredits(millicredits: Int64, note: String?, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        credits(note: note)
    }

    func setCreditPolicy(_ change: CreditPolicyChange, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        credits()
    }

    func health() async -> HealthReport {
        HealthReport(
            status: "ok", version: "fuzz", uptimeSeconds: 1, datastoresByState: ["ready": 2], engineHeartbeatAgeSeconds: 0.5,
            storeUsedBytes: 1, storeMapBytes: 2, problems: [])
    }

    func createMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) -> MCPKeyCreated {
        MCPKeyCreated(label: label, key: "trib_fuzz")
    }

    func listMCPKeys() async throws(ControlError) -> [MCPKeyInfo] {
        [MCPKeyInfo(label: "laptop", created: Self.since)]
    }

    func revokeMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) {
        guard label != "missing" else { throw .noSuchKey(label: label) }
    }
}
