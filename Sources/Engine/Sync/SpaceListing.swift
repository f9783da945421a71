import Confluence
import Foundation
import Logging
import Search
import Storage
import Synchronization

/// Lists one space for a metadata cycle as a pipeline of stages: each stage is one listing
/// request (one after the other) and the conversion and tokenizing of the batch it brings,
/// which starts as soon as the request has ended. While the single writer commits a group of
/// batches, the next ``EngineOptions/listingRequestsAhead`` stages fetch and convert. A
/// bounded number of batches is in flight, so memory stays flat whatever the size of the space.
///
/// With bodies (the single-pass sync of a first sync or a rebuild), each batch's pages are
/// diffed into the manifest and the ones that must be (re)indexed are indexed and charged in
/// the same transaction. Pages it cannot index there (the balance cannot pay, or the manifest
/// said otherwise than the conversion expected) simply stay pending: processing fetches them
/// by id after the listing, as after a metadata-only listing.
struct SpaceListing {
    /// What a listing writes through, the same for every space of every cycle.
    struct Services: Sendable {
        let datastore: UInt64
        let store: Store
        let datastores: DatastoreRepository
        /// Read (in a snapshot) to tell which pages the diff will send for indexing.
        let manifest: ManifestRepository
        let diff: PageDiff
        let conversion: PageConversion
        let indexCommit: IndexCommit
        /// See ``EngineOptions/listingRequestsAhead`` and ``EngineOptions/listingBatchesPerTransaction``.
        let requestsAhead: Int
        let batchesPerTransaction: Int
        let clock: any EngineClock
        let changed: @Sendable (UInt64) -> Void
    }

    let services: Services
    let cycle: UInt64
    let filter: PageFilter
    let site: ConfluenceSite
    let bodies: Bool
    /// The cycle's label survey, running beside the listing. Batches wait for it only when the
    /// datastore excludes labels (an excluded label decides whether a page is indexed at all);
    /// otherwise a batch committed before it finished keeps its labels unknown until
    /// ``MetadataSync`` applies the survey after the listing.
    let survey: Task<Result<LabelSurvey, SyncFailure>, Never>
    let surveyed: SurveyResult
    /// The cycle's comment digests (nil: no comments indexed) and how to fetch the comments of
    /// the pages indexed straight from the listing.
    let comments: CommentSurvey?
    let fetch: ContentFetch

    private var datastore: UInt64 { services.datastore }

    enum Outcome {
        /// `unlabelled`: pages committed before the survey finished; `firstSeen`: manifest
        /// entries seen for the first time this cycle (each page once, however often listed).
        case listed(pages: Int, creditsShort: Bool, unlabelled: [Page], firstSeen: Int, times: ListingTimes)
        /// The space was deleted or hidden part-way through (with `spaces = *`).
        case vanished
    }

    /// One batch past the conversion stage.
    struct Converted: Sendable {
        /// The listed pages without their bodies.
        var pages: [Page]
        /// Nil when the survey had not finished (and no excluded label made the batch wait).
        var survey: LabelSurvey?
        /// The pages expected to be pending after the diff, converted and tokenized.
        var prepared: PreparedBatch?
        /// The conversion stage's own work on this batch.
        var times = ListingTimes()
    }

    /// One listing request and the conversion of the batch it brings, which starts as soon as
    /// that request has ended (not when the loop gets to it: the loop may be committing).
    struct Stage {
        let fetch: Task<Result<[Page]?, ConfluenceError>, Never>
        /// Nil when the request failed or found the end: the loop meets that outcome first.
        let conversion: Task<Result<Converted?, SyncFailure>, Never>

        func cancel() {
            fetch.cancel()
            conversion.cancel()
        }
    }

    func run(_ cursor: any PageCursor, space: Space, vanishes: Bool, creditsShort: Bool) async throws(SyncFailure) -> Outcome {
        let short = CreditsShortFlag(creditsShort)
        // Stages in flight, oldest first: each request starts when the one before it has ended.
        var stages = [stage(cursor, after: nil, space: space, short: short)]
        while stages.count < max(1, services.requestsAhead) {
            stages.append(stage(cursor, after: stages.last?.fetch, space: space, short: short))
        }
        var group: [Converted] = []
        defer { for stage in stages { stage.cancel() } }
        var listed = 0
        var unlabelled: [Page] = []
        var firstSeen = 0
        let clock = ContinuousClock()
        let began = clock.now
        var times = ListingTimes()
        while true {
            let stage = stages.removeFirst()
            var waiting = clock.now
            let fetched = await Self.value(of: stage.fetch)
            times.fetchWait += clock.now - waiting
            let batch: [Page]?
            switch fetched {
            case .success(let pages):
                batch = pages
            case .failure(let error):
                if vanishes, error.kind == .spaceNotFound { return .vanished }
                throw SyncFailure(error)
            }
            if Task.isCancelled { throw .abandoned }
            // Another stage is queued behind those in flight, while this batch's conversion ends and the group commits.
            if batch != nil {
                stages.append(self.stage(cursor, after: stages.last?.fetch ?? stage.fetch, space: space, short: short))
                waiting = clock.now
                if let converted = try await Self.value(of: stage.conversion).get() {
                    times.convertWait += clock.now - waiting
                    times.addStage(converted.times)
                    group.append(converted)
                }
            }
            // Batches commit in groups: one transaction (one sync) per group, so the B-tree
            // pages every batch touches (postings of common terms, branch pages) are copied and
            // written once a group rather than once a batch.
            if !group.isEmpty, group.count >= max(1, services.batchesPerTransaction) || batch == nil {
                let committing = clock.now
                let (paid, labelled, seen) = try commit(group, space: space, index: !short.isSet)
                firstSeen += seen
                times.commit += clock.now - committing
                if !paid { short.set() }
                for (converted, known) in zip(group, labelled) where !known {
                    unlabelled += converted.pages.map { Page(id: $0.id, title: "", status: $0.status, labels: $0.labels) }
                }
                listed += group.reduce(0) { $0 + $1.pages.count }
                group.removeAll(keepingCapacity: true)
            }
            if batch == nil {
                times.total = clock.now - began
                return .listed(pages: listed, creditsShort: short.isSet, unlabelled: unlabelled, firstSeen: firstSeen, times: times)
            }
        }
    }

    /// The next request (after `previous`) and its batch's conversion.
    private func stage(
        _ cursor: any PageCursor, after previous: Task<Result<[Page]?, ConfluenceError>, Never>?, space: Space,
        short: CreditsShortFlag
    ) -> Stage {
        let fetch = Self.fetch(cursor, after: previous)
        return Stage(fetch: fetch, conversion: convert(after: fetch, space: space, short: short))
    }

    /// The cursor's next batch, asked for once `previous` has ended (the cursor is read one
    /// request at a time). After a previous request that ended the listing or failed, it asks
    /// for nothing and reports the end: the loop meets that request's outcome first.
    private static func fetch(
        _ cursor: any PageCursor, after previous: Task<Result<[Page]?, ConfluenceError>, Never>?
    ) -> Task<Result<[Page]?, ConfluenceError>, Never> {
        Task {
            if let previous {
                guard case .success(.some) = await previous.value else { return .success(nil) }
            }
            do throws(ConfluenceError) {
                return .success(try await cursor.next())
            } catch {
                return .failure(error)
            }
        }
    }

    /// Awaits a stage, passing the job's cancellation on to it.
    private static func value<T: Sendable>(of task: Task<T, Never>) async -> T {
        await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
    }

    /// The conversion of the batch `fetch` brings: off the writer, beside the next request and
    /// the commit of the batches before. Skipped (the pages stay pending, for processing by id)
    /// once a commit found the balance short; that is read when the batch arrives, so a stage
    /// started before that commit may still convert, and the commit checks the balance again.
    private func convert(
        after fetch: Task<Result<[Page]?, ConfluenceError>, Never>, space: Space, short: CreditsShortFlag
    ) -> Task<Result<Converted?, SyncFailure>, Never> {
        let survey = self.survey
        let surveyed = self.surveyed
        let bodies = self.bodies
        let filter = self.filter
        let site = self.site
        let store = services.store
        let manifest = services.manifest
        let conversion = services.conversion
        let conversionParts = PageConversion.parts(stagesAhead: services.requestsAhead)
        let datastore = self.datastore
        let comments = self.comments
        let contentFetch = self.fetch
        // Below the job's own priority (and so behind searches too): the commit stage, which
        // otherwise waited for a core behind its own conversions, comes first.
        return Task(executorPreference: SyncWorkExecutor.conversions) {
            do throws(SyncFailure) {
                guard case .success(.some(let pages)) = await Self.value(of: fetch) else { return .success(nil) }
                let index = !short.isSet
                let labels = filter.excludedLabels.isEmpty ? surveyed.current : try await survey.value.get()
                var converted = Converted(pages: pages, survey: labels)
                guard bodies else { return .success(converted) }
                converted.pages = pages.map { page in
                    var stripped = page
                    stripped.storageBody = nil
                    return stripped
                }
                guard index else { return .success(converted) }
                let clock = ContinuousClock()
                let reading = clock.now
                // Which pages the diff will send for indexing: a read snapshot of the manifest
                // (only this job writes this datastore's pages; the commit checks again).
                var wanted: [Page] = try storage {
                    try store.read { txn in
                        try pages.filter { page in
                            let old = try manifest.page(txn, datastore: datastore, pageId: page.id)
                            return PageDiff.disposition(of: page, old: old, filter: filter,
                                                        excludedLabels: labels?.excludedLabels(of: page, excluding: filter.excludedLabels) ?? [],
                                                        comments: comments?.digest(of: page.id)) == .pending
                        }
                    }
                }
                converted.times.manifestRead = clock.now - reading
                if let comments, !wanted.isEmpty {
                    do throws(ConfluenceError) {
                        wanted = try await contentFetch.withComments(wanted) { comments.digest(of: $0) != nil }
                    } catch {
                        throw SyncFailure(error)
                    }
                }
                if !wanted.isEmpty {
                    let (prepared, convert, tokenize) = try await conversion.convertAndPrepareInParallel(wanted, site: site, parts: conversionParts)
                    converted.prepared = prepared
                    converted.times.convert = convert
                    converted.times.tokenize = tokenize
                }
                return .success(converted)
            } catch {
                return .failure(error)
            }
        }
    }

    /// The commit stage: the manifest diff of a group of batches and, with bodies, their index
    /// entries and credits, in one write transaction. Returns whether the balance could pay,
    /// whether each batch's labels were known, and how many of the pages were seen for the
    /// first time this cycle.
    private func commit(_ group: [Converted], space: Space, index: Bool) throws(SyncFailure) -> (paid: Bool, labelled: [Bool], firstSeen: Int) {
        let now = services.clock.nowMillis
        // Read once: the survey may finish meanwhile, and a batch written without labels must be
        // reported unlabelled (a rerun of the transaction sees the same labels too).
        let labelled = group.map { $0.survey ?? surveyed.current }
        let indexCommit = services.indexCommit
        let (short, toppedOff, name, firstSeen): (Bool, [Int64], String, Int) = try storage {
            try write { txn in
                guard var current = try services.datastores.record(txn, datastore), current.cycle == cycle else {
                    throw SyncFailure.abandoned
                }
                var short = false
                var toppedOff: [Int64] = []
                var firstSeen = 0
                for (converted, labels) in zip(group, labelled) {
                    // Pending entries that may be indexed in this transaction are written once, indexed
                    // (not written pending, then read and written again).
                    let indexing = index && !short && current.state == .syncingMetadata && converted.prepared != nil
                    var staged: [String: (old: ManifestEntry?, new: ManifestEntry)] = [:]
                    for page in converted.pages {
                        let stagedAlready = staged[page.id] != nil
                        let applied = try services.diff.apply(page, spaceKey: space.key, cycle: cycle, filter: filter,
                                                              labels: labels?.labels(of: page),
                                                              excludedLabels: labels?.excludedLabels(of: page, excluding: filter.excludedLabels) ?? [],
                                                              comments: comments?.digest(of: page.id), txn: txn, deferPending: indexing)
                        if applied.disposition == .pending { staged[page.id] = (applied.old, applied.entry) }
                        if applied.old?.seenInCycle != cycle, !stagedAlready { firstSeen += 1 }
                    }
                    current.phaseDone += converted.pages.count
                    var written = false
                    // Indexed here only when the diff agrees with what was converted and a person did not pause it.
                    if indexing, let prepared = converted.prepared, Set(prepared.results.map(\.pageId)) == Set(staged.keys) {
                        switch try indexCommit.write(prepared, txn: txn, now: now, tokenizer: nil, staged: staged) {
                        case .insufficientCredits:
                            short = true
                        case .written(_, let added):
                            if let added { toppedOff.append(added) }
                            written = true
                        }
                    }
                    if indexing, !written {
                        // Not indexed here: the entries stay pending, for processing by id.
                        for (old, new) in staged.values where new != old {
                            try services.manifest.put(txn, datastore: datastore, old: old, new: new)
                        }
                    }
                }
                try services.datastores.put(txn, current)
                return (short, toppedOff, current.configuration.name, firstSeen)
            }
        }
        for added in toppedOff { indexCommit.logTopOff(added, datastoreName: name) }
        services.store.releaseResidentMapPages()
        services.changed(datastore)
        return (!short, labelled.map { $0 != nil }, firstSeen)
    }

    /// Every commit of the listing goes through here: the one place to choose its durability.
    private func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try services.store.write(body)
    }
}

/// Whether a commit of the listing found the balance short, for the stages converting ahead of it.
final class CreditsShortFlag: Sendable {
    private let value: Mutex<Bool>
    init(_ short: Bool) { value = Mutex(short) }
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The label survey once it finished, for stages that must not wait for it.
final class SurveyResult: Sendable {
    private let value = Mutex<LabelSurvey?>(nil)
    var current: LabelSurvey? { value.withLock { $0 } }
    func set(_ survey: LabelSurvey) { value.withLock { $0 = survey } }
}

/// Where a listing's time went, logged with the cycle's listing line: how long the loop waited
/// for the network (requests and JSON decoding) and for conversion, how long its commits took,
/// and the conversion stage's own work (it overlaps the others). What a slow sync is measured by.
struct ListingTimes: Sendable {
    var total = Duration.zero
    var fetchWait = Duration.zero
    var convertWait = Duration.zero
    var commit = Duration.zero
    var manifestRead = Duration.zero
    var convert = Duration.zero
    var tokenize = Duration.zero

    /// Adds another space's listing.
    mutating func add(_ other: ListingTimes) {
        total += other.total
        fetchWait += other.fetchWait
        convertWait += other.convertWait
        commit += other.commit
        addStage(other)
    }

    /// Adds one batch's conversion-stage times.
    mutating func addStage(_ batch: ListingTimes) {
        manifestRead += batch.manifestRead
        convert += batch.convert
        tokenize += batch.tokenize
    }

    /// As log metadata, in seconds.
    var metadata: Logger.Metadata {
        func seconds(_ duration: Duration) -> Logger.MetadataValue {
            let (whole, fraction) = duration.components
            return "\(String(format: "%.2f", Double(whole) + Double(fraction) / 1e18))"
        }
        return ["listing_seconds": seconds(total), "network_wait_seconds": seconds(fetchWait),
                "conversion_wait_seconds": seconds(convertWait), "commit_seconds": seconds(commit),
                "manifest_read_seconds": seconds(manifestRead), "convert_seconds": seconds(convert),
                "tokenize_seconds": seconds(tokenize)]
    }
}
