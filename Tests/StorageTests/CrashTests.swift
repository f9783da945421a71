import Foundation
import Testing
@testable import Storage
import StorageTestSupport

/// The directory holding the built products (the test bundle and the executables beside it).
func productsDirectory() throws -> URL {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // On Linux the test runner is `<products>/TributaryPackageTests.xctest`; be tolerant of bundles.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("StorageCrashWriter").path),
          directory.path != "/" {
        directory.deleteLastPathComponent()
    }
    return directory
}

/// Runs blocking work on its own thread so it cannot starve the tasks of other tests.
func onDedicatedThread(_ work: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread.detachNewThread {
            do {
                try work()
                continuation.resume()
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

@Suite("Store: crash safety")
struct CrashTests {
    /// Kills a child that commits in a loop with SIGKILL at random moments, reopens the store
    /// each time, and checks that every acknowledged transaction is there in full and no later
    /// or partial one is visible.
    @Test("SIGKILL at random moments never loses a committed transaction or exposes a partial one")
    func killNineLoop() async throws {
        // The loop sleeps and waits for children: keep it off the cooperative thread pool.
        try await onDedicatedThread { try killNineRounds(deferred: false) }
    }

    /// Deferred commits are in the kernel's page cache when `write` returns: a killed process
    /// loses none of them, flushed or not (only an OS crash or power loss could).
    @Test("SIGKILL between deferred commits and their flush loses no commit and exposes no partial one")
    func killNineLoopDeferred() async throws {
        try await onDedicatedThread { try killNineRounds(deferred: true) }
    }

    private func killNineRounds(deferred: Bool) throws {
        let writer = try productsDirectory().appendingPathComponent("StorageCrashWriter")
        try #require(
            FileManager.default.isExecutableFile(atPath: writer.path),
            "StorageCrashWriter was not built next to the tests (\(writer.path))"
        )
        let directory = NSTemporaryDirectory() + "tributary-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var generator = SystemRandomNumberGenerator()
        var acknowledgedOverall: UInt64 = 0
        var kills = 0
        for round in 0..<24 {
            let child = Process()
            child.executableURL = writer
            child.arguments = deferred ? [directory, "--deferred"] : [directory]
            let output = Pipe()
            child.standardOutput = output
            let errors = Pipe()
            child.standardError = errors
            try child.run()
            // Random moments: some before the first commit, most in the middle of the loop.
            let delay = round % 6 == 0 ? UInt32.random(in: 0..<20_000, using: &generator)
                : UInt32.random(in: 20_000..<250_000, using: &generator)
            usleep(delay)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal, "writer exited by itself: \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            kills += 1

            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // The last complete line is the newest transaction the child saw committed.
            let lines = printed.split(separator: "\n", omittingEmptySubsequences: true)
            let acknowledged = printed.hasSuffix("\n") ? lines.last.flatMap { UInt64($0) } : lines.dropLast().last.flatMap { UInt64($0) }
            if let acknowledged { acknowledgedOverall = max(acknowledgedOverall, acknowledged) }

            let counter = try verify(directory: directory)
            #expect(counter >= acknowledgedOverall, "round \(round): acknowledged \(acknowledgedOverall) but store holds \(counter)")
            // At most the one commit between the last print and the kill can be unacknowledged.
            #expect(counter <= acknowledgedOverall + 1, "round \(round): store holds \(counter) beyond acknowledged \(acknowledgedOverall)")
            acknowledgedOverall = max(acknowledgedOverall, counter)
        }
        #expect(kills >= 20)
        // The loop must really have been interrupted mid-work, not only before it started.
        #expect(acknowledgedOverall > 50)
    }

    /// Opens the store, checks the workload invariants and returns the committed counter.
    private func verify(directory: String) throws -> UInt64 {
        let store = try Store(configuration: StoreConfiguration(directory: directory, initialMapSize: 256 * 1024))
        let tables = try CrashWorkload.Tables(store)
        return try store.read { txn in
            let counter = try txn.get(tables.meta, "counter") ?? 0
            var expected: [CrashWorkload.RecordKey] = []
            var deleted = Set<UInt64>()
            if counter > 0 {
                for transaction in 1...counter {
                    if let victim = CrashWorkload.deletedBy(transaction) { deleted.insert(victim) }
                }
                for transaction in 1...counter where !deleted.contains(transaction) {
                    for index in 0..<CrashWorkload.recordCount(transaction) {
                        expected.append(.init(transaction: transaction, index: index))
                    }
                }
            }
            var found: [CrashWorkload.RecordKey] = []
            try txn.forEach(in: tables.records) { key, value in
                found.append(key)
                if value != CrashWorkload.recordValue(key.transaction, key.index) {
                    Issue.record("record \(key) has the wrong bytes")
                }
                return .continue
            }
            #expect(found == expected, "records differ from the \(counter) committed transactions")
            for list: UInt64 in 0..<7 {
                var postings: [UInt64] = []
                try txn.forEachValue(in: tables.postings, forKey: list) { value in
                    postings.append(value)
                    return .continue
                }
                let wanted = counter == 0 ? [] : (1...counter).filter { $0 % 7 == list }
                #expect(postings == wanted, "posting list \(list) differs")
            }
            return counter
        }
    }
}
