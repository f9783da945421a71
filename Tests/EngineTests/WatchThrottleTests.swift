import EngineTestSupport
import Synchronization
import Testing
@testable import Engine

/// What a watcher sees and when (``WatchThrottle``), on a hand-driven clock: a change of state
/// at once, progress at most once per interval, held-back progress at the interval's end.
@Suite("Watch throttle: state changes at once, progress once per interval, nothing left stale")
struct WatchThrottleTests {
    /// The datastore as the throttle reads it, changed by the test.
    final class Datastore: Sendable {
        let current: Mutex<DatastoreSnapshot?>
        init(_ snapshot: DatastoreSnapshot) { current = Mutex(snapshot) }
        func update(_ change: (inout DatastoreSnapshot) -> Void) {
            current.withLock { if var snapshot = $0 { change(&snapshot); $0 = snapshot } }
        }
        var snapshot: DatastoreSnapshot? { current.withLock { $0 } }
    }

    struct Fixture {
        let clock = ManualClock()
        let datastore: Datastore
        let throttle: WatchThrottle
        let stream: AsyncStream<DatastoreSnapshot>
        let continuation: AsyncStream<DatastoreSnapshot>.Continuation

        init(intervalMillis: Int64 = 250) {
            var record = DatastoreRecord(id: 1, configuration: DatastoreConfiguration(name: "docs", url: "https://x.example/wiki"),
                                         now: 0)
            record.state = .syncingMetadata
            let datastore = Datastore(DatastoreSnapshot(record: record, counts: PageCounts(), hasStoredSecret: false))
            self.datastore = datastore
            (stream, continuation) = AsyncStream<DatastoreSnapshot>.makeStream()
            throttle = WatchThrottle(first: datastore.snapshot!, intervalMillis: intervalMillis, clock: clock,
                                     read: { datastore.snapshot }, continuation: continuation)
        }

        /// Everything sent so far (ends the stream).
        func sent() async -> [DatastoreSnapshot] {
            continuation.finish()
            var all: [DatastoreSnapshot] = []
            for await snapshot in stream { all.append(snapshot) }
            return all
        }
    }

    @Test("Progress within the interval is held and flushed; ready goes out at once, before the interval ends")
    func readyIsNotDelayed() async {
        let fixture = Fixture()
        fixture.datastore.update { $0.counts.indexed = 1 }
        let flush = fixture.throttle.changed()
        #expect(flush.alive)
        #expect(flush.flushAt == fixture.clock.nowMillis + 250)
        fixture.datastore.update { $0.counts.indexed = 2 }
        // One flush is enough for any number of held changes.
        #expect(fixture.throttle.changed().flushAt == nil)
        fixture.datastore.update {
            $0.counts.indexed = 3
            $0.record.state = .ready
        }
        #expect(fixture.throttle.changed().flushAt == nil)
        // Sent before any flush and with the clock where it was.
        let sent = await fixture.sent()
        #expect(sent.map(\.indexed) == [0, 3])
        #expect(sent.last?.record.state == .ready)
    }

    @Test("Held progress goes out at the flush; after the interval the next change goes out at once")
    func heldProgressIsFlushed() async {
        let fixture = Fixture()
        fixture.datastore.update { $0.counts.indexed = 5 }
        let flushAt = fixture.throttle.changed().flushAt
        #expect(flushAt != nil)
        fixture.clock.advance(byMillis: 250)
        fixture.throttle.flush()
        fixture.clock.advance(byMillis: 250)
        fixture.datastore.update { $0.counts.indexed = 9 }
        #expect(fixture.throttle.changed().flushAt == nil)
        // An unchanged datastore sends nothing.
        #expect(fixture.throttle.changed().flushAt == nil)
        let sent = await fixture.sent()
        #expect(sent.map(\.indexed) == [0, 5, 9])
    }

    @Test("A new wait goes out at once; a deleted datastore ends the watch")
    func waitsAndDeletion() async {
        let fixture = Fixture()
        fixture.datastore.update { $0.waiting = DatastoreWait(kind: .throttled, until: 10, reason: "HTTP 429") }
        #expect(fixture.throttle.changed().flushAt == nil)
        fixture.datastore.current.withLock { $0 = nil }
        #expect(!fixture.throttle.changed().alive)
        let sent = await fixture.sent()
        #expect(sent.map { $0.waiting?.kind } == [nil, .throttled])
    }

    @Test("With no interval every change goes out at once")
    func noInterval() async {
        let fixture = Fixture(intervalMillis: 0)
        for count in 1...3 {
            fixture.datastore.update { $0.counts.indexed = count }
            #expect(fixture.throttle.changed().flushAt == nil)
        }
        let sent = await fixture.sent()
        #expect(sent.map(\.indexed) == [0, 1, 2, 3])
    }
}
