import Testing
@testable import Engine
import Storage

@Suite("Job queue")
struct JobQueueTests {
    @Test("One queued job per datastore and kind; an earlier due time wins")
    func deduplication() throws {
        let temporary = try TemporaryEngineStore()
        let queue = try JobQueue(store: temporary.store)
        try temporary.store.write { txn in
            let first = try queue.enqueue(txn, datastore: 1, kind: .syncMetadata, due: 1_000)
            let again = try queue.enqueue(txn, datastore: 1, kind: .syncMetadata, due: 500)
            #expect(again.id == first.id)
            #expect(again.due == 500)
            let later = try queue.enqueue(txn, datastore: 1, kind: .syncMetadata, due: 9_000)
            #expect(later.due == 500)
            let other = try queue.enqueue(txn, datastore: 2, kind: .syncMetadata, due: 100)
            #expect(other.id != first.id)
            #expect(try queue.all(txn).map(\.datastore) == [2, 1])
            #expect(try queue.nextDue(txn) == 100)
        }
    }

    @Test("Claims take due jobs only; an expired lease makes the job due again for another worker")
    func leases() throws {
        let temporary = try TemporaryEngineStore()
        let queue = try JobQueue(store: temporary.store)
        try temporary.store.write { txn in
            try queue.enqueue(txn, datastore: 1, kind: .processBatch, due: 100)
            try queue.enqueue(txn, datastore: 2, kind: .processBatch, due: 5_000)
            let claimed = try queue.claim(txn, owner: "a", now: 200, leaseMillis: 1_000, limit: 10)
            #expect(claimed.map(\.datastore) == [1])
            #expect(claimed.first?.attempts == 1)
            // Still leased at 1,100: nothing due.
            #expect(try queue.claim(txn, owner: "b", now: 1_100, leaseMillis: 1_000, limit: 10).isEmpty)
            // Worker "a" died; at 1,300 the lease has expired and "b" takes the job over.
            let taken = try queue.claim(txn, owner: "b", now: 1_300, leaseMillis: 1_000, limit: 10)
            #expect(taken.map(\.id) == claimed.map(\.id))
            #expect(taken.first?.attempts == 2)
            // "a" coming back cannot complete what "b" now holds.
            #expect(try queue.complete(txn, claimed[0]) == false)
            #expect(try queue.complete(txn, taken[0]))
            #expect(try queue.all(txn).map(\.datastore) == [2])
        }
    }

    @Test("Failed attempts back off and stop after the maximum; release gives the attempt back")
    func retries() throws {
        let temporary = try TemporaryEngineStore()
        let queue = try JobQueue(store: temporary.store)
        try temporary.store.write { txn in
            try queue.enqueue(txn, datastore: 1, kind: .syncMetadata, due: 0, maxAttempts: 2)
            var job = try #require(try queue.claim(txn, owner: "w", now: 0, leaseMillis: 60_000, limit: 1).first)
            #expect(try queue.retry(txn, job, error: "HTTP 502", delayMillis: 2_000, now: 10) == .retryAt(2_010))
            #expect(try queue.job(txn, id: job.id)?.lastError == "HTTP 502")
            #expect(try queue.claim(txn, owner: "w", now: 2_000, leaseMillis: 60_000, limit: 1).isEmpty)
            job = try #require(try queue.claim(txn, owner: "w", now: 2_010, leaseMillis: 60_000, limit: 1).first)
            #expect(try queue.retry(txn, job, error: "HTTP 502", delayMillis: 4_000, now: 2_020) == .exhausted)
            #expect(try queue.all(txn).isEmpty)

            try queue.enqueue(txn, datastore: 3, kind: .processBatch, due: 0)
            let leased = try #require(try queue.claim(txn, owner: "w", now: 0, leaseMillis: 60_000, limit: 1).first)
            try queue.release(txn, leased, now: 50)
            let released = try #require(try queue.job(txn, id: leased.id))
            #expect(released.lease == nil)
            #expect(released.attempts == 0)
            #expect(released.due == 50)
        }
    }

    @Test("Queued jobs survive reopening the store")
    func durability() throws {
        let temporary = try TemporaryEngineStore()
        let queue = try JobQueue(store: temporary.store)
        try temporary.store.write { txn in
            try queue.enqueue(txn, datastore: 4, kind: .syncMetadata, due: 42)
            try queue.removeAll(txn, datastore: 9)
        }
        let jobs = try temporary.store.read { txn in try queue.all(txn) }
        #expect(jobs.count == 1)
        try temporary.store.write { txn in try queue.removeAll(txn, datastore: 4) }
        #expect(try temporary.store.read { txn in try queue.all(txn) }.isEmpty)
    }
}
