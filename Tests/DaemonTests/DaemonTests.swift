import FakeConfluenceSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

@Suite("tributaryd end to end", .serialized)
struct DaemonTests {
    @Test("tributaryctl creates a datastore, watches it to ready, and gets status and search in the contract's JSON shapes")
    func controlRoundTrip() async throws {
        try await FakeConfluence.with(["--generate", "300", "--seed", "2", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create()
            try await harness.waitReady()
            let status = try await harness.ctl(["status", "gen", "--json"]).json()
            #expect(status["name"] as? String == "gen")
            #expect(status["state"] as? String == "ready")
            let pages = try #require(status["pages"] as? [String: Any])
            for key in ["discovered", "indexed", "skipped", "failed"] { #expect(pages[key] is Int, "pages.\(key)") }
            #expect((pages["indexed"] as? Int ?? 0) > 0)

            let search = try await harness.ctl(["search", "gen", "deploy rollback", "--limit", "3", "--json"]).json()
            let results = try #require(search["results"] as? [[String: Any]])
            #expect(results.count == 3)
            for result in results {
                for key in ["pageId", "title", "url", "score", "snippet"] { #expect(result[key] != nil, "result.\(key)") }
                #expect((result["url"] as? String ?? "").hasPrefix(fake.origin))
            }
            // A third-party Varlink client (PyPI `varlink`): GetInfo, List, Search and a streamed Watch
            // that sees the current state, then the change a resync causes.
            let python = try #require(DaemonHarness.python(importing: "varlink"), "no python with the varlink package")
            let script = FakeConfluence.repositoryRoot.appendingPathComponent("Tests/ControlTests/varlink_interop.py").path
            async let interop = DaemonHarness.run([python, script, harness.socketPath, "gen", "deploy rollback", "2"])
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await harness.ctl(["resync", "gen"]).status == 0)
            let seen = try await interop
            #expect(seen.status == 0, "\(seen.stderr)")
            let report = try seen.json()
            #expect((report["info"] as? [String: Any])?["product"] != nil)
            #expect(report["list"] as? [String] == ["gen"])
            #expect((report["search"] as? [Any])?.isEmpty == false)
            let watched = try #require(report["watch"] as? [[String: Any]])
            #expect(watched.count == 2)
            #expect(watched.first?["state"] as? String == "ready")
            #expect(watched.last?["state"] as? String != "ready")

            // The token never shows in any output or in the daemon's log.
            let list = try await harness.ctl(["list", "--json"])
            #expect(!list.stdout.contains(DaemonHarness.token))
            #expect(!harness.tail(1 << 20).contains(DaemonHarness.token))
            let stop = await harness.stopDaemon()
            #expect(stop.status == 0, "tributaryd exited \(stop.status) on SIGTERM: \(harness.tail())")
            #expect(stop.seconds < 15)
        }
    }

    @Test("tributaryctl update --clear empties a list filter; clearing and setting the same one is a usage error")
    func updateClearsFilters() async throws {
        try await FakeConfluence.with(["--generate", "40", "--seed", "5", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create(extra: ["--include-title", "No page is called this*"])
            try await harness.waitReady()
            let before = try await harness.ctl(["status", "gen", "--json"]).json()
            #expect((before["pages"] as? [String: Any])?["indexed"] as? Int == 0)

            let conflicting = try await harness.ctl(["update", "gen", "--clear", "include-titles", "--include-title", "A*"])
            #expect(conflicting.status == 2, "\(conflicting.stderr)")
            let cleared = try await harness.ctl(["update", "gen", "--clear", "include-titles", "--json"])
            #expect(cleared.status == 0, "\(cleared.stderr)")
            #expect(try await harness.ctl(["resync", "gen"]).status == 0)
            var indexed = 0
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, indexed == 0 {
                let status = try await harness.ctl(["status", "gen", "--json"]).json()
                if status["state"] as? String == "ready" { indexed = (status["pages"] as? [String: Any])?["indexed"] as? Int ?? 0 }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(indexed > 0, "the cleared title filter still applies: \(harness.tail())")
            #expect(await harness.stopDaemon().status == 0)
        }
    }

    @Test("Killed with SIGKILL 10 times during a sync of 3,000 pages, the final manifest, index and ledger equal an uninterrupted run's")
    func crashResume() async throws {
        try await FakeConfluence.with(["--generate", "3000", "--seed", "9", "--email", DaemonHarness.email, "--token", DaemonHarness.token], maxSeconds: 900) { fake in
            let reference = try DaemonHarness(fake: fake)
            defer { reference.remove() }
            try await reference.startDaemon()
            try await reference.create()
            try await reference.waitReady()
            await reference.stopDaemon()
            let expected = try Fingerprint(stateDirectory: reference.stateDirectory)

            let crashed = try DaemonHarness(fake: fake)
            defer { crashed.remove() }
            try await crashed.startDaemon()
            try await crashed.create()
            var generator = SystemRandomNumberGenerator()
            var statesAtKill: [String] = []
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 150...1_200, using: &generator)))
                let state = (try? await crashed.ctl(["status", "gen", "--json"]).json())?["state"] as? String ?? "?"
                statesAtKill.append(state)
                await crashed.killDaemon()
                try await crashed.startDaemon()
            }
            try await crashed.waitReady()
            await crashed.stopDaemon()
            let actual = try Fingerprint(stateDirectory: crashed.stateDirectory)
            #expect(statesAtKill.filter { $0 != "ready" }.count >= 5, "most kills should land mid-sync: \(statesAtKill)")
            #expect(actual.manifest == expected.manifest)
            #expect(actual.chunksPerPage == expected.chunksPerPage)
            #expect(actual.statistics == expected.statistics)
            #expect(actual.searches == expected.searches)
            #expect(actual.charges == expected.charges)
            #expect(actual.balance == expected.balance)
            #expect(actual.auditProblems.isEmpty, "\(actual.auditProblems.prefix(5))")
            #expect(actual.duplicateCharges == 0)
        }
    }
}

/// Everything a sync leaves behind that must not depend on how often it was interrupted.
struct Fingerprint {
    var manifest: [String: String] = [:]
    var chunksPerPage: [String: Int] = [:]
    var statistics = ""
    var searches: [String] = []
    var charges: [String] = []
    var duplicateCharges = 0
    var balance: Int64 = 0
    var auditProblems: [String] = []

    static let queries = ["rotation certificate", "deploy rollback", "incident escalation policy", "budget quota",
                          "\"shard replica\"", "onboarding laptop checklist"]

    init(stateDirectory: String) throws {
        let store = try Store(configuration: StoreConfiguration(directory: stateDirectory))
        let tables = try EngineTables(store: store)
        let index = try SearchIndex(store: store)
        let ledger = try CreditLedger(store: store)
        let tokenizer = try Tokenizer()
        try store.read { txn in
            let id = try #require(try txn.get(tables.names, "gen"))
            try txn.forEach(in: tables.pages, .prefix(PageRef.prefix(id))) { key, value in
                let entry = value.value
                manifest[key.pageId] = "\(entry.disposition.rawValue)|\(entry.versionSeen)|\(entry.versionIndexed ?? -1)|\(entry.chunks)|\(entry.tokens)|\(entry.title)|\(entry.reason ?? "")"
                chunksPerPage[key.pageId] = try index.chunkIDs(pageID: key.pageId, datastore: id, in: txn).count
                return .continue
            }
            let stats = try index.statistics(datastore: id, in: txn)
            statistics = "\(stats.pageCount) \(stats.chunkCount) \(stats.totalTitleLength) \(stats.totalHeadingLength) \(stats.totalBodyLength)"
            for query in Self.queries {
                var options = SearchOptions()
                options.limit = 10
                let results = try index.search(query, datastore: id, options: options, in: txn, tokenizer: tokenizer)
                searches.append(query + ": " + results.map { "\($0.pageID)#\($0.ordinal)=\(String(format: "%.6f", $0.score))" }.joined(separator: ","))
            }
            auditProblems = try index.audit(datastore: id, in: txn).problems
            let entries = try ledger.allEntries(txn).filter { $0.kind == .charge }
            charges = entries.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)=\($0.amount)" }.sorted()
            duplicateCharges = charges.count - Set(charges).count
            balance = try ledger.balance(txn)
        }
    }
}
