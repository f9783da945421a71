import Confluence
import InputLimits

/// Something that happened to a datastore: a person's command, a worker's outcome, the disk.
/// ``Lifecycle/reduce(_:_:_:)`` decides what it does to the datastore's state.
enum LifecycleEvent: Sendable, Equatable {
    /// The datastore was just created (its record is new).
    case created
    /// Its configuration changed (scope, filters, credentials…).
    case configurationChanged
    /// A person asked for a metadata sync now.
    case resyncRequested
    /// A person paused it.
    case pauseRequested
    /// A person resumed it; `pendingPages` wait, and the site is known when `siteKnown`.
    case resumeRequested(pendingPages: Int, siteKnown: Bool)
    /// Credits were added or the policy made room: a credit pause may end.
    case creditsAvailable(pendingPages: Int, siteKnown: Bool)
    /// A metadata cycle connected to `site` and starts listing.
    case cycleStarted(site: ConfluenceSite)
    /// The listing completed; `pending` pages wait for processing.
    case listingFinished(pending: Int)
    /// A processing batch committed and more pages wait.
    case batchCommitted
    /// Nothing is left to process: the cycle is complete.
    case cycleFinished
    /// The next batch needs `needed` more millicredits than the balance holds.
    case creditsExhausted(needed: Int64)
    /// A cause only a person can fix.
    case failedPermanently(FailureReason)
    /// A step failed and is retried later (the job queue holds the retry).
    case retryScheduled(message: String)
    /// A job of `kind` used all its attempts.
    /// `reason`: what a metadata sync fails with (unreachable, or bad_response for responses cut short).
    case retriesExhausted(kind: Job.Kind, message: String, attempts: Int, reason: FailureReason.Kind = .unreachable)
    /// A write failed because the state directory's filesystem (or the map) is full.
    case diskFull(neededBytes: Int64)
    /// The disk watcher saw enough free space again.
    case diskSpaceReturned(pendingPages: Int, siteKnown: Bool)
}

/// What applying an event asks of the world. Queue effects run inside the write transaction
/// that stores the new record; log and notify run after it commits (a transaction LMDB runs
/// again after growing the map must not log twice).
enum LifecycleEffect: Sendable, Equatable {
    /// Queue a job (an existing one of the kind is kept and made due no later).
    case enqueue(Job.Kind, due: Int64)
    /// Remove every queued job of the datastore.
    case clearJobs
    /// Queue the next metadata sync at `at` (the record's `nextSync` says so too).
    case scheduleNextSync(at: Int64)
    /// Log the transition (after the commit).
    case log(from: DatastoreState, to: DatastoreState)
    /// Tell watchers the datastore changed (after the commit).
    case notifyWatchers

    /// Whether the effect must run inside the transaction.
    var isQueueEffect: Bool {
        switch self {
        case .enqueue, .clearJobs, .scheduleNextSync: true
        case .log, .notifyWatchers: false
        }
    }
}

/// An event the lifecycle refuses in the datastore's state.
enum LifecycleRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// A person paused it: nothing syncs until they resume it.
    case pausedByUser
    /// It is paused (for any reason), so a worker's step does not start.
    case paused(PauseReason)

    var description: String {
        switch self {
        case .pausedByUser: "the datastore is paused; resume it to sync"
        case .paused(let reason): "the datastore is paused (\(reason.code))"
        }
    }
}

/// What the lifecycle needs besides the record and the event.
struct LifecycleContext: Sendable, Equatable {
    /// Now, in milliseconds since the Unix epoch (from the engine's clock).
    var now: Int64
}

/// The new record and what to do about it.
struct LifecycleTransition: Sendable, Equatable {
    var record: DatastoreRecord
    var effects: [LifecycleEffect]
}

/// The one place a datastore's state changes: a pure function of record, event and time.
///
/// - Commands: `created`/`configurationChanged`/`resyncRequested` → syncing_metadata (a running
///   cycle keeps its state and gets a fresh listing queued; a user pause keeps a configuration
///   change for later and refuses a resync); `pauseRequested` → paused(by_user);
///   `resumeRequested` (any pause, failed), `creditsAvailable` (credit pause only) and
///   `diskSpaceReturned` (disk pause only) → processing when pages wait, the site is known and
///   the pause did not interrupt a listing, syncing_metadata otherwise.
/// - Workers: `cycleStarted` → syncing_metadata (refused while paused); `listingFinished` →
///   processing, or ready with nothing pending; `batchCommitted` queues the next batch;
///   `cycleFinished` → ready with the next sync scheduled; `creditsExhausted` → paused
///   (credits); `failedPermanently` → failed; metadata `retriesExhausted` → failed
///   (unreachable) with the next sync scheduled; `diskFull` → paused (disk_full).
/// - A person's pause stands: worker outcomes and disk events leave it as it is.
///
/// The full table is ``LifecycleTableTests``.
enum Lifecycle {
    /// When the next metadata sync of a datastore with `configuration` is due, counted from `now`.
    static func nextSyncDue(_ configuration: DatastoreConfiguration, now: Int64) -> Int64 {
        Saturating.add(now, Saturating.multiply(Int64(configuration.resyncIntervalSeconds), 1_000))
    }

    static func reduce(
        _ record: DatastoreRecord, _ event: LifecycleEvent, _ context: LifecycleContext
    ) throws(LifecycleRejection) -> LifecycleTransition {
        var next = record
        var effects: [LifecycleEffect] = []
        let now = context.now
        let pausedByUser = record.state == .paused(.byUser)
        var isPaused = false
        if case .paused = record.state { isPaused = true }

        func move(to state: DatastoreState) {
            guard next.state != state else { return }
            effects.append(.log(from: next.state, to: state))
            next.state = state
            next.stateSince = now
        }
        func startSync() {
            move(to: .syncingMetadata)
            effects += [.clearJobs, .enqueue(.syncMetadata, due: now)]
        }
        func resume(pendingPages: Int, siteKnown: Bool) {
            let processing: Bool
            if case .failed = record.state {
                processing = false
            } else {
                processing = pendingPages > 0 && siteKnown && record.stateBeforePause != .syncingMetadata
            }
            next.stateBeforePause = nil
            move(to: processing ? .processing : .syncingMetadata)
            effects += [.clearJobs, .enqueue(processing ? .processBatch : .syncMetadata, due: now)]
        }
        func finishCycle() {
            next.lastSyncCompleted = now
            next.estimatedMillicredits = 0
            move(to: .ready)
            scheduleNextSync()
        }
        func scheduleNextSync() {
            let due = Lifecycle.nextSyncDue(record.configuration, now: now)
            next.nextSync = due
            effects.append(.scheduleNextSync(at: due))
        }

        switch event {
        case .created:
            next.state = .syncingMetadata
            next.stateSince = now
            effects.append(.enqueue(.syncMetadata, due: now))

        case .configurationChanged:
            switch record.state {
            case .paused(.byUser):
                break
            case .paused(.diskFull):
                // Still no room to write; when there is, the new scope needs a fresh listing.
                next.stateBeforePause = .syncingMetadata
            default:
                startSync()
            }

        case .resyncRequested:
            if pausedByUser { throw .pausedByUser }
            switch record.state {
            case .syncingMetadata, .processing:
                // A running cycle keeps its state until the new one starts.
                effects += [.clearJobs, .enqueue(.syncMetadata, due: now)]
            default:
                startSync()
            }

        case .pauseRequested:
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            if !isPaused { next.stateBeforePause = record.state }
            move(to: .paused(.byUser))
            effects.append(.clearJobs)

        case .resumeRequested(let pending, let siteKnown):
            switch record.state {
            case .paused, .failed: resume(pendingPages: pending, siteKnown: siteKnown)
            default: return LifecycleTransition(record: record, effects: [])
            }

        case .creditsAvailable(let pending, let siteKnown):
            guard case .paused(.insufficientCredits) = record.state else { return LifecycleTransition(record: record, effects: []) }
            resume(pendingPages: pending, siteKnown: siteKnown)

        case .diskSpaceReturned(let pending, let siteKnown):
            guard case .paused(.diskFull) = record.state else { return LifecycleTransition(record: record, effects: []) }
            resume(pendingPages: pending, siteKnown: siteKnown)

        case .cycleStarted(let site):
            if case .paused(let reason) = record.state { throw .paused(reason) }
            next.cycle += 1
            next.siteBaseURL = site.baseURL
            next.site = site
            next.phaseTotal = 0
            next.phaseDone = 0
            next.phaseStartedAt = now
            next.lastError = nil
            move(to: .syncingMetadata)

        case .listingFinished(let pending):
            if isPaused { return LifecycleTransition(record: record, effects: []) }
            if pending > 0 {
                next.phaseTotal = pending
                next.phaseDone = 0
                next.phaseStartedAt = now
                move(to: .processing)
                effects.append(.enqueue(.processBatch, due: now))
            } else {
                finishCycle()
            }

        case .batchCommitted:
            if isPaused { return LifecycleTransition(record: record, effects: []) }
            effects.append(.enqueue(.processBatch, due: now))

        case .cycleFinished:
            if isPaused { return LifecycleTransition(record: record, effects: []) }
            finishCycle()

        case .creditsExhausted(let needed):
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            next.lastError = nil
            move(to: .paused(.insufficientCredits(neededMillicredits: needed)))
            effects.append(.clearJobs)

        case .failedPermanently(let reason):
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            next.lastError = nil
            move(to: .failed(reason))
            effects.append(.clearJobs)

        case .retryScheduled(let message):
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            next.lastError = message

        case .retriesExhausted(let kind, let message, let attempts, let reasonKind):
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            next.lastError = message
            switch kind {
            case .processBatch:
                // The batch's pages are marked failed (by the worker); the cycle goes on.
                effects.append(.enqueue(.processBatch, due: now))
            case .syncMetadata:
                let reason = FailureReason(
                    kind: reasonKind,
                    message: message + " (gave up after \(attempts) attempts; the next scheduled sync will try again)")
                move(to: .failed(reason))
                scheduleNextSync()
            }

        case .diskFull(let needed):
            if pausedByUser { return LifecycleTransition(record: record, effects: []) }
            if case .paused(.diskFull) = record.state {
                next.state = .paused(.diskFull(neededBytes: max(needed, 0)))
            } else {
                // Where to go back to: a pause for credits resumes as one would (pending pages).
                if !isPaused { next.stateBeforePause = record.state }
                move(to: .paused(.diskFull(neededBytes: max(needed, 0))))
            }
            effects.append(.clearJobs)
        }
        if next != record { effects.append(.notifyWatchers) }
        return LifecycleTransition(record: next, effects: effects)
    }
}
