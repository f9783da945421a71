import Confluence
import Foundation
import Synchronization
import Testing
@testable import Engine

/// Issue #13 defect 8, the engine's end: what a datastore waits for, and the failure kinds
/// that tell a bad response and a redirect from an unreachable site.
@Suite("Issue #13: waits on the board and in the queue")
struct WaitBoardTests {
    static func record(id: UInt64 = 7, state: DatastoreState = .syncingMetadata, lastError: String? = nil) -> DatastoreRecord {
        var record = DatastoreRecord(
            id: id, configuration: DatastoreConfiguration(name: "w", url: "https://x.example/wiki/spaces/W", auth: .anonymous),
            now: 0)
        record.state = state
        record.lastError = lastError
        return record
    }

    static func job(datastore: UInt64 = 7, attempts: Int, due: Int64, leased: Bool = false, lastError: String? = nil) -> Job {
        var job = Job(id: 1, datastore: datastore, kind: .syncMetadata, attempts: attempts, maxAttempts: 6, due: due)
        job.lastError = lastError
        if leased { job.lease = Job.Lease(owner: "me", expires: due) }
        return job
    }

    @Test("a client's throttle shows with its end and the site; nil clears it; the change is announced")
    func clientWaits() {
        let announced = AnnouncedIDs()
        let board = WaitBoard(changed: announced.add)
        let until = Date(timeIntervalSince1970: 2_000_000)
        board.observer(for: 7)(ClientWait(kind: .throttled(until: until), origin: "https://x.example", reason: "HTTP 429 with Retry-After 900 s"))
        let wait = board.current(for: Self.record(), queued: [], now: 1_000_000)
        #expect(wait == DatastoreWait(kind: .throttled, until: 2_000_000_000, reason: "HTTP 429 with Retry-After 900 s from https://x.example"))
        #expect(board.current(for: Self.record(id: 8), queued: [], now: 1_000_000) == nil)
        board.observer(for: 7)(nil)
        #expect(board.current(for: Self.record(), queued: [], now: 1_000_000) == nil)
        #expect(announced.ids == [7, 7])

        board.set(ClientWait(kind: .awaitingResponse(since: until), origin: "https://x.example", reason: "GET /wiki/api/v2/spaces"), for: 7)
        #expect(board.current(for: Self.record(), queued: [], now: 1_000_000)
            == DatastoreWait(kind: .awaitingResponse, since: 2_000_000_000, reason: "GET /wiki/api/v2/spaces from https://x.example"))
        board.set(ClientWait(kind: .retrying(until: until, attempt: 2, maxAttempts: 5), origin: "https://x.example", reason: "HTTP 503"), for: 7)
        #expect(board.current(for: Self.record(), queued: [], now: 1_000_000)
            == DatastoreWait(kind: .retrying, until: 2_000_000_000, attempt: 2, maxAttempts: 5, reason: "HTTP 503 from https://x.example"))
    }

    @Test("a failed job due later is a retry: until its due time, attempt n+1 of its maximum, its error as the reason")
    func queuedRetry() {
        let board = WaitBoard()
        let record = Self.record(lastError: "Confluence is failing (HTTP 503)")
        let retry = Self.job(attempts: 2, due: 5_000, lastError: "HTTP 503 after several retries")
        #expect(board.current(for: record, queued: [retry], now: 1_000)
            == DatastoreWait(kind: .retrying, until: 5_000, attempt: 3, maxAttempts: 6, reason: "HTTP 503 after several retries"))
        // Without the job's own error, the record's.
        #expect(board.current(for: record, queued: [Self.job(attempts: 1, due: 5_000)], now: 1_000)?.reason == "Confluence is failing (HTTP 503)")
        // Not a retry: never tried, running, due already, another datastore's.
        for job in [Self.job(attempts: 0, due: 5_000), Self.job(attempts: 2, due: 5_000, leased: true),
                    Self.job(attempts: 2, due: 500), Self.job(datastore: 8, attempts: 2, due: 5_000)] {
            #expect(board.current(for: record, queued: [job], now: 1_000) == nil, "\(job)")
        }
        // Only while a sync runs.
        #expect(board.current(for: Self.record(state: .ready), queued: [retry], now: 1_000) == nil)
    }

    @Test("a reported wait whose end has passed gives way to the queue's")
    func staleReport() {
        let board = WaitBoard()
        board.set(ClientWait(kind: .throttled(until: Date(timeIntervalSince1970: 1)), origin: "https://x.example", reason: "HTTP 429"), for: 7)
        let wait = board.current(for: Self.record(), queued: [Self.job(attempts: 1, due: 9_000)], now: 2_000)
        #expect(wait?.kind == .retrying && wait?.until == 9_000)
    }

    @Test("bad responses and redirects fail with their own kinds; outages stay retriable")
    func failureKinds() {
        func kind(_ error: ConfluenceError.Kind) -> FailureReason.Kind? {
            if case .permanent(let reason) = SyncFailure(ConfluenceError(error, "m")) { return reason.kind }
            return nil
        }
        func retriedThenKind(_ error: ConfluenceError.Kind) -> FailureReason.Kind? {
            if case .retryable(let reason) = SyncFailure(ConfluenceError(error, "m")) { return reason.kind }
            return nil
        }
        #expect(kind(.unexpectedResponse) == .badResponse)
        #expect(kind(.responseTooLarge) == .badResponse)
        // Cut short: retried first (often the network); bad_response once retries run out.
        #expect(retriedThenKind(.truncatedResponse) == .badResponse)
        #expect(kind(.redirected) == .redirected)
        #expect(kind(.unavailable) == nil)
        #expect(kind(.rateLimited) == nil)
    }
}

/// Datastore ids announced by a board, in order.
final class AnnouncedIDs: Sendable {
    private let list = Mutex<[UInt64]>([])
    var add: @Sendable (UInt64) -> Void { { [self] id in list.withLock { $0.append(id) } } }
    var ids: [UInt64] { list.withLock { $0 } }
}
