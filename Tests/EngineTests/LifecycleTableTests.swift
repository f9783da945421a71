import Confluence
import Testing
@testable import Engine

/// The lifecycle as a table: state × event → state + effects (or a rejection). No store, no server.
@Suite("Lifecycle table")
struct LifecycleTableTests {
    static let now: Int64 = 1_000_000
    static let interval: Int64 = 3_600_000
    static let site = ConfluenceSite(flavor: .cloud, host: "example.atlassian.net", contextPath: "/wiki")
    static let credits = DatastoreState.paused(.insufficientCredits(neededMillicredits: 5))
    static let disk = DatastoreState.paused(.diskFull(neededBytes: 1 << 20))
    static let failure = FailureReason(kind: .authentication, message: "bad token")

    static func record(_ state: DatastoreState, before: DatastoreState? = nil, site: Bool = true) -> DatastoreRecord {
        var configuration = DatastoreConfiguration(name: "docs", url: "https://example.atlassian.net/wiki/spaces/DOC",
                                                   auth: .anonymous)
        configuration.resyncIntervalSeconds = Int(interval / 1_000)
        var record = DatastoreRecord(id: 7, configuration: configuration, now: 0)
        record.state = state
        record.stateBeforePause = before
        if site { record.site = Self.site }
        return record
    }

    /// One row: from a state, an event gives a state and exactly these effects.
    struct Row: CustomTestStringConvertible, Sendable {
        var from: DatastoreState
        var before: DatastoreState? = nil
        var event: LifecycleEvent
        var to: DatastoreState
        var effects: [LifecycleEffect]
        var testDescription: String { "\(from.name) + \(event) → \(to.name)" }
    }

    static let sync: [LifecycleEffect] = [.clearJobs, .enqueue(.syncMetadata, due: now)]
    static let process: [LifecycleEffect] = [.clearJobs, .enqueue(.processBatch, due: now)]
    static func moved(_ from: DatastoreState, _ to: DatastoreState, _ middle: [LifecycleEffect], logFirst: Bool = true) -> [LifecycleEffect] {
        logFirst ? [.log(from: from, to: to)] + middle + [.notifyWatchers] : middle + [.notifyWatchers]
    }

    static let rows: [Row] = [
        // Commands.
        Row(from: .syncingMetadata, event: .created, to: .syncingMetadata, effects: [.enqueue(.syncMetadata, due: now), .notifyWatchers]),
        Row(from: .ready, event: .configurationChanged, to: .syncingMetadata, effects: moved(.ready, .syncingMetadata, sync)),
        Row(from: .processing, event: .configurationChanged, to: .syncingMetadata, effects: moved(.processing, .syncingMetadata, sync)),
        Row(from: .paused(.byUser), event: .configurationChanged, to: .paused(.byUser), effects: []),
        Row(from: .failed(failure), event: .configurationChanged, to: .syncingMetadata,
            effects: moved(.failed(failure), .syncingMetadata, sync)),
        Row(from: .ready, event: .resyncRequested, to: .syncingMetadata, effects: moved(.ready, .syncingMetadata, sync)),
        Row(from: credits, event: .resyncRequested, to: .syncingMetadata, effects: moved(credits, .syncingMetadata, sync)),
        Row(from: .failed(failure), event: .resyncRequested, to: .syncingMetadata, effects: moved(.failed(failure), .syncingMetadata, sync)),
        Row(from: .processing, event: .resyncRequested, to: .processing, effects: sync),
        Row(from: .syncingMetadata, event: .resyncRequested, to: .syncingMetadata, effects: sync),
        Row(from: .processing, event: .pauseRequested, to: .paused(.byUser),
            effects: moved(.processing, .paused(.byUser), [.clearJobs])),
        Row(from: .paused(.byUser), event: .pauseRequested, to: .paused(.byUser), effects: []),
        Row(from: .paused(.byUser), before: .processing, event: .resumeRequested(pendingPages: 3, siteKnown: true), to: .processing,
            effects: moved(.paused(.byUser), .processing, process)),
        Row(from: .paused(.byUser), before: .syncingMetadata, event: .resumeRequested(pendingPages: 3, siteKnown: true),
            to: .syncingMetadata, effects: moved(.paused(.byUser), .syncingMetadata, sync)),
        Row(from: .paused(.byUser), before: .processing, event: .resumeRequested(pendingPages: 3, siteKnown: false),
            to: .syncingMetadata, effects: moved(.paused(.byUser), .syncingMetadata, sync)),
        Row(from: .paused(.byUser), before: .ready, event: .resumeRequested(pendingPages: 0, siteKnown: true),
            to: .syncingMetadata, effects: moved(.paused(.byUser), .syncingMetadata, sync)),
        Row(from: .failed(failure), event: .resumeRequested(pendingPages: 3, siteKnown: true), to: .syncingMetadata,
            effects: moved(.failed(failure), .syncingMetadata, sync)),
        Row(from: .ready, event: .resumeRequested(pendingPages: 3, siteKnown: true), to: .ready, effects: []),
        Row(from: credits, event: .creditsAvailable(pendingPages: 3, siteKnown: true), to: .processing,
            effects: moved(credits, .processing, process)),
        Row(from: .paused(.byUser), event: .creditsAvailable(pendingPages: 3, siteKnown: true), to: .paused(.byUser), effects: []),
        // Worker outcomes.
        Row(from: .ready, event: .listingFinished(pending: 4), to: .processing,
            effects: moved(.ready, .processing, [.enqueue(.processBatch, due: now)])),
        Row(from: .syncingMetadata, event: .listingFinished(pending: 4), to: .processing,
            effects: moved(.syncingMetadata, .processing, [.enqueue(.processBatch, due: now)])),
        Row(from: .syncingMetadata, event: .listingFinished(pending: 0), to: .ready,
            effects: moved(.syncingMetadata, .ready, [.scheduleNextSync(at: now + interval)])),
        Row(from: .paused(.byUser), event: .listingFinished(pending: 4), to: .paused(.byUser), effects: []),
        Row(from: .processing, event: .batchCommitted, to: .processing, effects: [.enqueue(.processBatch, due: now)]),
        Row(from: .processing, event: .cycleFinished, to: .ready,
            effects: moved(.processing, .ready, [.scheduleNextSync(at: now + interval)])),
        Row(from: .paused(.byUser), event: .cycleFinished, to: .paused(.byUser), effects: []),
        Row(from: .processing, event: .creditsExhausted(needed: 5), to: credits, effects: moved(.processing, credits, [.clearJobs])),
        Row(from: .processing, event: .failedPermanently(failure), to: .failed(failure),
            effects: moved(.processing, .failed(failure), [.clearJobs])),
        Row(from: .paused(.byUser), event: .failedPermanently(failure), to: .paused(.byUser), effects: []),
        Row(from: .processing, event: .retriesExhausted(kind: .processBatch, message: "HTTP 503", attempts: 6), to: .processing,
            effects: [.enqueue(.processBatch, due: now), .notifyWatchers]),
        // Disk.
        Row(from: .processing, event: .diskFull(neededBytes: 1 << 20), to: disk, effects: moved(.processing, disk, [.clearJobs])),
        Row(from: .ready, event: .diskFull(neededBytes: 1 << 20), to: disk, effects: moved(.ready, disk, [.clearJobs])),
        Row(from: credits, event: .diskFull(neededBytes: 1 << 20), to: disk, effects: moved(credits, disk, [.clearJobs])),
        Row(from: .paused(.byUser), event: .diskFull(neededBytes: 1 << 20), to: .paused(.byUser), effects: []),
        Row(from: disk, before: .processing, event: .diskSpaceReturned(pendingPages: 2, siteKnown: true), to: .processing,
            effects: moved(disk, .processing, process)),
        Row(from: disk, before: .syncingMetadata, event: .diskSpaceReturned(pendingPages: 2, siteKnown: true), to: .syncingMetadata,
            effects: moved(disk, .syncingMetadata, sync)),
        Row(from: credits, event: .diskSpaceReturned(pendingPages: 2, siteKnown: true), to: credits, effects: []),
        Row(from: disk, event: .configurationChanged, to: disk, effects: [.notifyWatchers]),
    ]

    @Test("state × event → state + effects", arguments: rows)
    func row(_ row: Row) throws {
        let transition = try Lifecycle.reduce(Self.record(row.from, before: row.before), row.event, LifecycleContext(now: Self.now))
        #expect(transition.record.state == row.to)
        #expect(transition.effects == row.effects)
        if transition.record.state != row.from { #expect(transition.record.stateSince == Self.now) }
    }

    @Test("resync and a new cycle are refused while a person has it paused")
    func rejections() {
        #expect(throws: LifecycleRejection.pausedByUser) {
            try Lifecycle.reduce(Self.record(.paused(.byUser)), .resyncRequested, LifecycleContext(now: Self.now))
        }
        #expect(throws: LifecycleRejection.paused(.byUser)) {
            try Lifecycle.reduce(Self.record(.paused(.byUser)), .cycleStarted(site: Self.site), LifecycleContext(now: Self.now))
        }
        #expect(throws: LifecycleRejection.paused(.diskFull(neededBytes: 1 << 20))) {
            try Lifecycle.reduce(Self.record(Self.disk), .cycleStarted(site: Self.site), LifecycleContext(now: Self.now))
        }
    }

    @Test("a cycle start counts the cycle, records the site and resets progress")
    func cycleStart() throws {
        var record = Self.record(.failed(Self.failure), site: false)
        record.phaseDone = 40
        record.lastError = "old"
        let transition = try Lifecycle.reduce(record, .cycleStarted(site: Self.site), LifecycleContext(now: Self.now))
        #expect(transition.record.cycle == 1)
        #expect(transition.record.site == Self.site)
        #expect(transition.record.phaseDone == 0)
        #expect(transition.record.lastError == nil)
        #expect(transition.effects == [.log(from: .failed(Self.failure), to: .syncingMetadata), .notifyWatchers])
    }

    @Test("metadata retries exhausted: failed (unreachable) with the next sync scheduled; a retry only notes the error")
    func retries() throws {
        let exhausted = try Lifecycle.reduce(Self.record(.syncingMetadata),
                                             .retriesExhausted(kind: .syncMetadata, message: "HTTP 503", attempts: 6),
                                             LifecycleContext(now: Self.now))
        guard case .failed(let reason) = exhausted.record.state else { Issue.record("not failed"); return }
        #expect(reason.kind == .unreachable)
        #expect(exhausted.record.nextSync == Self.now + Self.interval)
        #expect(exhausted.effects.contains(.scheduleNextSync(at: Self.now + Self.interval)))
        // Responses cut short on every attempt: the reason says bad_response, not unreachable.
        let truncated = try Lifecycle.reduce(Self.record(.syncingMetadata),
                                             .retriesExhausted(kind: .syncMetadata, message: "cut short", attempts: 6, reason: .badResponse),
                                             LifecycleContext(now: Self.now))
        guard case .failed(let badResponse) = truncated.record.state else { Issue.record("not failed"); return }
        #expect(badResponse.kind == .badResponse)
        let retry = try Lifecycle.reduce(Self.record(.processing), .retryScheduled(message: "HTTP 503"), LifecycleContext(now: Self.now))
        #expect(retry.record.state == .processing)
        #expect(retry.record.lastError == "HTTP 503")
        #expect(retry.effects == [.notifyWatchers])
    }

    @Test("a pause remembers where it was; a disk pause keeps the state before it")
    func stateBeforePause() throws {
        let paused = try Lifecycle.reduce(Self.record(.processing), .pauseRequested, LifecycleContext(now: Self.now))
        #expect(paused.record.stateBeforePause == .processing)
        let full = try Lifecycle.reduce(Self.record(.syncingMetadata), .diskFull(neededBytes: 10), LifecycleContext(now: Self.now))
        #expect(full.record.stateBeforePause == .syncingMetadata)
        let again = try Lifecycle.reduce(full.record, .diskFull(neededBytes: 20), LifecycleContext(now: Self.now))
        #expect(again.record.state == .paused(.diskFull(neededBytes: 20)))
        #expect(again.record.stateBeforePause == .syncingMetadata)
        #expect(!again.effects.contains { if case .log = $0 { true } else { false } })
    }
}
