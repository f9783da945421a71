import FakeConfluenceSupport
import Foundation
import Logging
import Storage
import Testing
@testable import Engine
@testable import Search

@Suite("An index written by another text analysis is rebuilt at start")
struct IndexRebuildTests {
    @Test("After an analysis change (e.g. a libstemmer upgrade) the datastore is re-indexed, consistent, and charged nothing twice")
    func rebuildAfterAnalysisChange() async throws {
        try await EngineHarness.with(["--generate", "60", "--seed", "9"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            let ready = try await harness.waitForReady("gen")
            let id = try harness.engine.identifier(of: "gen")
            let index = harness.engine.parts.index
            let (before, chargesBefore) = try harness.temporary.store.read { txn in
                (try index.statistics(datastore: id, in: txn), try harness.engine.parts.ledger.allEntries(txn).filter { $0.kind == .charge }.count)
            }
            #expect(before.chunkCount > 0 && before.isCurrentFormat)
            await harness.engine.stop()

            // What an older build with other stems would have recorded.
            try harness.temporary.store.write { txn in
                var stats = try index.statistics(datastore: id, in: txn)
                stats.analysis ^= 0x5A5A
                try txn.put(index.tables.stats, id, stats)
            }
            #expect(try harness.temporary.store.read { try index.needsRebuild(datastore: id, in: $0) })

            let restarted = try harness.restartedEngine()
            try await restarted.start()
            let deadline = Date().addingTimeInterval(60)
            var snapshot = try restarted.snapshot(name: "gen")
            while Date() < deadline, !(snapshot.record.state.name == "ready" && snapshot.pending == 0
                                        && snapshot.indexed == ready.indexed) {
                try await Task.sleep(for: .milliseconds(20))
                snapshot = try restarted.snapshot(name: "gen")
            }
            #expect(snapshot.record.state.name == "ready" && snapshot.indexed == ready.indexed, "\(snapshot)")
            let (after, audit, chargesAfter) = try harness.temporary.store.read { txn in
                (try index.statistics(datastore: id, in: txn), try index.audit(datastore: id, in: txn),
                 try restarted.parts.ledger.allEntries(txn).filter { $0.kind == .charge }.count)
            }
            #expect(after.isCurrentFormat)
            #expect(after.chunkCount == before.chunkCount && after.pageCount == before.pageCount)
            #expect(audit.isConsistent, "\(audit)")
            #expect(chargesAfter == chargesBefore, "page versions already paid for were charged again")
            #expect(try restarted.search(name: "gen", query: "deploy", limit: 1).isEmpty == false)
            await restarted.stop()
        }
    }
}
