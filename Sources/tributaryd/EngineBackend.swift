import Control
import Engine
import Foundation
import Logging
import Search

/// Serves the control socket from the engine: maps wire types to engine calls and engine
/// errors to typed control errors. Every mutation is logged with the caller's uid and pid.
struct EngineBackend: ControlBackend {
    let engine: Engine
    let logger: Logger
    let version: String
    /// The chat model `ask` uses (see EngineBackend+Ask.swift); none by default.
    var modelSettings = ModelSettings()

    // MARK: Datastores

    func createDatastore(_ spec: DatastoreSpec, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        let configuration = try Self.configuration(from: spec)
        audit("create", spec.name, caller)
        return try await map { try await engine.create(configuration, secret: spec.token) }
    }

    func updateDatastore(name: String, changes: DatastoreChanges, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        audit("update", name, caller)
        var kind: AuthenticationKind?
        if let auth = changes.auth {
            guard let parsed = AuthenticationKind(rawValue: auth) else {
                throw .invalidParameter(parameter: "auth", message: "expected api_token, pat or anonymous")
            }
            kind = parsed
        }
        // The daemon reads no file for a caller (it would read it with its own rights).
        if changes.tokenFile != nil { throw Self.tokenFileRefused("tokenFile") }
        // Checked before the transaction: a bad type name is the caller's error, not the engine's.
        _ = try ContentSelection().applyingFromCaller(changes.content)
        let content = changes.content
        // Merged into the stored configuration inside the engine's write transaction, so a
        // concurrent update of another field is kept.
        return try await map {
            try await engine.update(name: name, secret: changes.token) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                if let url = changes.url { configuration.url = url }
                if let kind { configuration.auth = kind }
                if let email = changes.email { configuration.email = email }
                if changes.token != nil { configuration.tokenSource = .stored }
                if let spaces = changes.spaces { configuration.spaces = spaces }
                if let roots = changes.rootPageIds { configuration.rootPageIds = roots }
                if let include = changes.includeTitles { configuration.includeTitles = include }
                if let exclude = changes.excludeTitles { configuration.excludeTitles = exclude }
                if let labels = changes.excludeLabels { configuration.excludeLabels = labels }
                if let archived = changes.includeArchived { configuration.includeArchived = archived }
                if let interval = changes.resyncIntervalSeconds { configuration.resyncIntervalSeconds = interval }
                if let rate = changes.rateLimit { configuration.rateLimit = rate }
                do throws(ConfigurationProblem) {
                    configuration.content = try configuration.content.applying(content)
                } catch {
                    throw EngineError.invalid(field: error.field, message: error.message)
                }
            }
        }
    }

    func deleteDatastore(name: String, by caller: ControlCaller) async throws(ControlError) {
        audit("delete", name, caller)
        try await map { try await engine.delete(name: name) }
    }

    func listDatastores() async throws(ControlError) -> [DatastoreStatus] {
        try await map { try await engine.list() }
    }

    func datastore(name: String) async throws(ControlError) -> DatastoreStatus {
        try await map { try engine.snapshot(name: name) }
    }

    func datastoreSpec(name: String) async throws(ControlError) -> DatastoreSpec {
        let snapshot: DatastoreSnapshot = try await map { try engine.snapshot(name: name) }
        return Self.spec(from: snapshot)
    }

    func resync(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        audit("resync", name, caller)
        return try await map { try await engine.resync(name: name) }
    }

    func pause(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        audit("pause", name, caller)
        return try await map { try await engine.pause(name: name) }
    }

    func resume(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus {
        audit("resume", name, caller)
        return try await map { try await engine.resume(name: name) }
    }

    func watch(name: String) async throws(ControlError) -> AsyncStream<DatastoreStatus> {
        let snapshots = try await map { try engine.watch(name: name) }
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                for await snapshot in snapshots { continuation.yield(Self.status(from: snapshot)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Explain

    func explain(name: String, pageId: String) async throws(ControlError) -> PageExplanation {
        let report = try await map { try engine.explain(name: name, pageId: pageId) }
        let entry = report.entry
        return PageExplanation(
            pageId: entry.pageId, title: entry.title, disposition: entry.disposition.rawValue, reason: entry.reason,
            versionSeen: entry.versionSeen, versionIndexed: entry.versionIndexed, chunks: entry.chunks, url: report.url,
            unrenderedMacros: entry.unrenderedMacros, lastProcessed: entry.lastProcessed.map(Self.iso8601),
            attachments: report.attachments.map(Self.attachmentExplanation))
    }

    // MARK: Credits

    func credits(recentEntries: Int) async throws(ControlError) -> CreditsReport {
        Self.report(try await map { try engine.credits(recent: min(max(recentEntries, 0), 1_000)) })
    }

    func addCredits(millicredits: Int64, note: String?, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        logger.notice("credits add \(Credits.format(millicredits)) requested by uid \(caller.uid) pid \(caller.pid)",
                      metadata: ["uid": "\(caller.uid)", "pid": "\(caller.pid)"])
        return Self.report(try await map { try await engine.addCredits(millicredits: millicredits, note: note) })
    }

    func setCreditPolicy(_ change: CreditPolicyChange, by caller: ControlCaller) async throws(ControlError) -> CreditsReport {
        logger.notice("credit policy change requested by uid \(caller.uid) pid \(caller.pid)",
                      metadata: ["uid": "\(caller.uid)", "pid": "\(caller.pid)"])
        for (name, value) in [("millicreditsPerThousandTokens", change.millicreditsPerThousandTokens),
                              ("autoTopOffAmountMillicredits", change.autoTopOffAmountMillicredits),
                              ("autoTopOffThresholdMillicredits", change.autoTopOffThresholdMillicredits),
                              ("autoTopOffMonthlyCapMillicredits", change.autoTopOffMonthlyCapMillicredits)] {
            if let value, value < 0 { throw .invalidParameter(parameter: name, message: "must not be negative") }
        }
        let snapshot = try await map {
            try await engine.setCreditPolicy { policy in
                if let rate = change.millicreditsPerThousandTokens { policy.millicreditsPerThousandTokens = rate }
                var topOff = policy.autoTopOff ?? CreditPolicy.AutoTopOff(amount: 0, threshold: 0, monthlyCap: 0)
                if let amount = change.autoTopOffAmountMillicredits { topOff.amount = amount }
                if let threshold = change.autoTopOffThresholdMillicredits { topOff.threshold = threshold }
                if let cap = change.autoTopOffMonthlyCapMillicredits { topOff.monthlyCap = cap }
                if change.autoTopOffEnabled == false {
                    policy.autoTopOff = nil
                } else if change.autoTopOffEnabled == true || policy.autoTopOff != nil {
                    if topOff.monthlyCap == 0 {
                        let (tenfold, overflow) = topOff.amount.multipliedReportingOverflow(by: 10)
                        topOff.monthlyCap = overflow ? .max : tenfold
                    }
                    policy.autoTopOff = topOff
                    policy.enforced = true
                }
            }
        }
        return Self.report(snapshot)
    }

    // MARK: Health

    func health() async -> HealthReport {
        let heartbeat = Double(engine.heartbeatAgeMillis) / 1_000
        var byState: [String: Int] = [:]
        var problems: [String] = []
        let snapshots = (try? await engine.list()) ?? []
        for snapshot in snapshots {
            byState[snapshot.record.state.name, default: 0] += 1
            if case .failed(let reason) = snapshot.record.state {
                problems.append("datastore \(snapshot.name) failed: \(reason.message)")
            }
            if case .paused(.diskFull) = snapshot.record.state {
                problems.append("datastore \(snapshot.name) is paused: \(snapshot.record.state.reason ?? "disk_full")")
            }
            if snapshot.failed > 0 {
                problems.append("datastore \(snapshot.name) has \(snapshot.failed) pages that failed to index")
            }
        }
        if heartbeat > 10 { problems.append("the engine's scheduler has not run for \(Int(heartbeat)) s") }
        let usage = engine.storeUsage()
        let status = heartbeat > 30 ? "stalled" : problems.isEmpty ? "ok" : "degraded"
        return HealthReport(
            status: status, version: version, uptimeSeconds: Date().timeIntervalSince(engine.startedAt),
            datastoresByState: byState, engineHeartbeatAgeSeconds: heartbeat, storeUsedBytes: usage.used,
            storeMapBytes: usage.map, problems: problems)
    }

    // MARK: Mapping

    func audit(_ action: String, _ name: String, _ caller: ControlCaller) {
        logger.notice("\(action) datastore \(name) requested by uid \(caller.uid) pid \(caller.pid)",
                      metadata: ["datastore": "\(name)", "uid": "\(caller.uid)", "pid": "\(caller.pid)", "action": "\(action)"])
    }

    func map(_ body: () async throws -> DatastoreSnapshot) async throws(ControlError) -> DatastoreStatus {
        Self.status(from: try await map(body))
    }

    func map(_ body: () async throws -> [DatastoreSnapshot]) async throws(ControlError) -> [DatastoreStatus] {
        (try await map(body) as [DatastoreSnapshot]).map(Self.status(from:))
    }

    func map<T>(_ body: () async throws -> T) async throws(ControlError) -> T {
        do {
            return try await body()
        } catch let error as EngineError {
            throw Self.controlError(error)
        } catch {
            throw .internalError(message: "\(error)")
        }
    }

    static func controlError(_ error: EngineError) -> ControlError {
        switch error {
        case .noSuchDatastore(let name): .noSuchDatastore(name: name)
        case .datastoreExists(let name): .datastoreExists(name: name)
        case .invalid(let field, let message): .invalidParameter(parameter: field, message: message)
        case .noSuchPage(let datastore, let pageId): .noSuchPage(datastore: datastore, pageId: pageId)
        case .storage(let error): .internalError(message: "\(error)")
        case .index(let error): .internalError(message: error.description)
        }
    }

    static func configuration(from spec: DatastoreSpec) throws(ControlError) -> DatastoreConfiguration {
        guard let auth = AuthenticationKind(rawValue: spec.auth) else {
            throw .invalidParameter(parameter: "auth", message: "expected api_token, pat or anonymous")
        }
        let tokenSource: TokenSource
        if spec.token != nil {
            tokenSource = .stored
        } else if spec.tokenFile != nil {
            throw tokenFileRefused("tokenFile")
        } else {
            tokenSource = auth == .anonymous ? .none : .stored
        }
        return DatastoreConfiguration(
            name: spec.name, url: spec.url, auth: auth, email: spec.email, tokenSource: tokenSource, spaces: spec.spaces,
            rootPageIds: spec.rootPageIds, includeTitles: spec.includeTitles, excludeTitles: spec.excludeTitles,
            excludeLabels: spec.excludeLabels, includeArchived: spec.includeArchived,
            resyncIntervalSeconds: spec.resyncIntervalSeconds ?? DatastoreConfiguration.defaultResyncInterval,
            rateLimit: spec.rateLimit, origin: "socket", content: try ContentSelection().applyingFromCaller(spec.content))
    }

    /// Over the socket the client sends the token itself; `token_file` is for datastores.d.
    static func tokenFileRefused(_ parameter: String) -> ControlError {
        .invalidParameter(
            parameter: parameter,
            message: "the daemon reads no file for a caller: send the token itself (tributaryctl --token-file reads the file as you)")
    }

    static func spec(from snapshot: DatastoreSnapshot) -> DatastoreSpec {
        let configuration = snapshot.record.configuration
        var tokenFile: String?
        var hasToken = snapshot.hasStoredSecret
        switch configuration.tokenSource {
        case .file(let path): tokenFile = path; hasToken = true
        case .credential(let name): tokenFile = "credential:" + name; hasToken = true
        case .stored, .none: break
        }
        return DatastoreSpec(
            name: configuration.name, url: configuration.url, auth: configuration.auth.rawValue, email: configuration.email,
            token: nil, tokenFile: tokenFile, hasToken: hasToken, spaces: configuration.spaces,
            rootPageIds: configuration.rootPageIds, includeTitles: configuration.includeTitles,
            excludeTitles: configuration.excludeTitles, excludeLabels: configuration.excludeLabels,
            includeArchived: configuration.includeArchived, resyncIntervalSeconds: configuration.resyncIntervalSeconds,
            rateLimit: configuration.rateLimit, origin: configuration.origin, content: configuration.content.options)
    }

    static func status(from snapshot: DatastoreSnapshot) -> DatastoreStatus {
        let record = snapshot.record
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        var reason: String?
        var message: String?
        switch record.state {
        case .paused(let pause):
            reason = pause.code
            message = pause.description
        case .failed(let failure):
            reason = failure.kind.rawValue
            message = failure.message
        default:
            message = record.lastError.map { "retrying: " + $0 }
        }
        var progress: ProgressReport?
        if record.state == .processing || record.state == .syncingMetadata {
            let figures = snapshot.progress(now: now)
            progress = ProgressReport(done: figures.done, total: figures.total ?? 0,
                                      pagesPerSecond: (figures.pagesPerSecond * 10).rounded() / 10, etaSeconds: figures.etaSeconds)
        }
        return DatastoreStatus(
            name: snapshot.name, state: record.state.name, reason: reason, message: message, since: iso8601(record.stateSince),
            url: record.configuration.url,
            pages: PageCounts(discovered: snapshot.discovered, indexed: snapshot.indexed, skipped: snapshot.skipped,
                              failed: snapshot.failed, pending: snapshot.pending),
            skippedByReason: snapshot.skippedByReason, progress: progress, searchable: snapshot.searchable,
            partiallySynced: snapshot.failed > 0, lastSyncCompleted: record.lastSyncCompleted.map(iso8601),
            nextSync: record.nextSync.map(iso8601), estimatedMillicredits: record.estimatedMillicredits,
            unrenderedMacros: snapshot.unrenderedMacros, origin: record.configuration.origin,
            waiting: snapshot.waiting.map(waitStatus), attachments: snapshot.attachments.map(attachmentStatus),
            embeddings: snapshot.embeddings.map {
                EmbeddingStatus(model: $0.model, dimensions: $0.dimensions, embedded: $0.embedded, pending: $0.pending, reason: $0.reason)
            })
    }

    static func waitStatus(_ wait: DatastoreWait) -> WaitStatus {
        WaitStatus(kind: wait.kind.rawValue, until: wait.until.map(iso8601), since: wait.since.map(iso8601),
                   attempt: wait.attempt, maxAttempts: wait.maxAttempts, reason: wait.reason)
    }

    static func report(_ snapshot: CreditsSnapshot) -> CreditsReport {
        let topOff = snapshot.policy.autoTopOff
        return CreditsReport(
            balanceMillicredits: snapshot.balance, enforced: snapshot.policy.enforced,
            millicreditsPerThousandTokens: snapshot.policy.millicreditsPerThousandTokens, spentMillicredits: snapshot.spent,
            autoTopOff: AutoTopOff(enabled: topOff != nil, amountMillicredits: topOff?.amount ?? 0,
                                   thresholdMillicredits: topOff?.threshold ?? 0, monthlyCapMillicredits: topOff?.monthlyCap ?? 0,
                                   usedThisMonthMillicredits: snapshot.autoTopOffUsedThisMonth),
            recent: snapshot.recent.map { line in
                LedgerLine(sequence: Int64(line.entry.sequence), time: iso8601(line.entry.timestamp), kind: line.entry.kind.rawValue,
                           millicredits: line.entry.amount, balanceAfter: line.balanceAfter,
                           datastore: line.entry.datastore.flatMap { snapshot.datastoreNames[$0] },
                           pageId: line.entry.pageId, pageVersion: line.entry.pageVersion, note: line.entry.note)
            })
    }

    static func iso8601(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1_000).formatted(.iso8601)
    }
}
