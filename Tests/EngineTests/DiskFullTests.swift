import Confluence
import EngineTestSupport
import Foundation
import Glibc
import Storage
import Testing
@testable import Engine

/// Issue #13 defect 3: a full disk (or map) pauses the datastores that need to write with
/// `disk_full`, counts no page as failed, and writing resumes by itself when space returns.
@Suite("Disk full", .serialized)
struct DiskFullTests {
    static func options() -> EngineOptions {
        var options = InProcessHarness.options()
        options.diskCheckIntervalMillis = 20_000
        options.diskFullHeadroomBytes = 1 << 20
        return options
    }

    static func isDiskFull(_ snapshot: DatastoreSnapshot) -> Bool {
        if case .paused(.diskFull) = snapshot.record.state { true } else { false }
    }

    @Test("The map at its maximum: paused disk_full, nothing failed; resumes within a check of space returning")
    func mapFull() async throws {
        // A map that cannot grow: a page too big for it cannot be committed.
        let temporary = try TemporaryEngineStore(mapSize: 1 << 20, maximumMapSize: 1 << 20)
        let harness = try InProcessHarness(options: Self.options(), temporary: temporary)
        try await harness.engine.start()
        defer { Task { await harness.engine.stop() } }
        harness.confluence.addPages(space: "DOC", count: 3)
        let words = (0..<120_000).map { "w\($0 % 9_973)" }.joined(separator: " ")
        harness.confluence.putPage(space: "DOC", id: "BIG", title: "Big", body: "<p>\(words)</p>")
        harness.probe.set(availableBytes: 0)
        _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
        let paused = try await harness.until("docs", "disk_full", Self.isDiskFull)
        #expect(paused.failed == 0)
        #expect(paused.indexed == 0)  // the listing batch that held the big page committed nothing
        #expect(paused.record.state == .paused(.diskFull(neededBytes: 1 << 20)))
        let jobs = try temporary.store.read { try harness.engine.parts.queue.all($0) }
        #expect(jobs.isEmpty)

        // Still no room: stays paused however long.
        harness.clock.advance(byMillis: 120_000)
        #expect(Self.isDiskFull(try harness.engine.snapshot(name: "docs")))

        // Room again (here: the big page shrank, so the map suffices), and the probe says so.
        harness.confluence.putPage(space: "DOC", id: "BIG", title: "Big", body: "<p>small now</p>")
        harness.probe.set(availableBytes: 1 << 30)
        harness.clock.advance(byMillis: 20_000)
        let ready = try await harness.ready("docs")
        #expect(ready.indexed == 4 && ready.failed == 0)
    }

    @Test("A real full filesystem (tmpfs): ENOSPC pauses with disk_full; freeing space resumes with no restart")
    func fullFilesystem() async throws {
        let mountPoint = NSTemporaryDirectory() + "tributary-diskfull-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=6m") == 0 else {
            // Not root, or no CAP_SYS_ADMIN in this container: nothing to test here.
            return
        }
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let temporary = try TemporaryEngineStore(mapSize: 1 << 26, parent: mountPoint)
        var options = Self.options()
        options.diskFullHeadroomBytes = 2 << 20
        let clock = ManualClock()
        let confluence = InMemoryConfluence()
        let engine = try Engine(store: temporary.store, options: options, logger: EngineHarness.quietLogger(), sources: confluence,
                                clock: clock, freeSpace: StatvfsFreeSpaceProbe(path: temporary.directory))
        try await engine.start()
        defer { Task { await engine.stop() } }
        // Leave about 300 KB free.
        let ballast = (mountPoint as NSString).appendingPathComponent("ballast")
        let free = try #require(StatvfsFreeSpaceProbe(path: mountPoint).availableBytes())
        #expect(FileManager.default.createFile(atPath: ballast, contents: Data(count: Int(free) - 300_000)))
        for page in 1...40 {
            let words = (0..<1_500).map { "w\(($0 * 7 + page) % 2_000)" }.joined(separator: " ")
            confluence.putPage(space: "DOC", id: "P\(page)", title: "Page \(page)", body: "<p>\(words)</p>")
        }
        let harness = InProcessHarness.Watcher(engine: engine)
        _ = try await engine.create(DatastoreConfiguration(name: "docs", url: confluence.url(space: "DOC"), auth: .anonymous,
                                                     tokenSource: .none), secret: nil)
        let paused = try await harness.until("docs", "disk_full", Self.isDiskFull)
        #expect(paused.failed == 0)

        try FileManager.default.removeItem(atPath: ballast)
        clock.advance(byMillis: 20_000)
        let ready = try await harness.until("docs", "ready") { $0.record.state == .ready }
        #expect(ready.indexed == 40 && ready.failed == 0)
    }
}
