import Control
import Foundation
import Testing
import Varlink

/// The built `tributaryctl` binary against an in-process server with a fake backend.
@Suite("tributaryctl", .serialized)
struct CtlTests {
    private func ctl(_ running: RunningServer, _ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        try await runAsync(try Paths.tributaryctl(), ["--socket", running.path] + arguments, stdin: stdin)
    }

    @Test("status --json has the contract's shape, with reason null when there is none")
    func statusJSON() async throws {
        let running = try RunningServer.start()
        let result = try await ctl(running, ["status", "handbook", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let status = try json(result.stdout)
        #expect(status["name"] == .string("handbook"))
        #expect(status["state"] == .string("ready"))
        #expect(status["reason"] == .null)
        for key in ["discovered", "indexed", "skipped", "failed"] {
            #expect(status["pages"]?[key]?.integerValue != nil, "pages.\(key)")
        }
        #expect(status["pages"]?["indexed"] == .integer(40))
        #expect(status["config"]?["hasToken"] == .bool(true))
        #expect(!result.stdout.contains("stored-secret"))

        let human = try await ctl(running, ["status", "handbook"])
        #expect(human.stdout.contains("✔ ready"))
        #expect(human.stdout.contains("40 indexed"))
        await running.stop()
    }

    @Test("search --json returns results with pageId, title, url, anchor, score and snippet")
    func searchJSON() async throws {
        let running = try RunningServer.start()
        let result = try await ctl(running, ["search", "handbook", "expense", "report", "--limit", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let results = try #require(try json(result.stdout)["results"]?.arrayValue)
        #expect(results.count == 2)
        for hit in results {
            for key in ["pageId", "title", "url", "anchor", "score", "snippet"] {
                #expect(hit[key] != nil, "\(key) missing")
            }
        }
        #expect(results[0]["anchor"] == .string("receipts"))
        #expect(results[1]["anchor"] == .null)
        #expect(results[0]["score"] == .double(7.25))
        #expect(await running.backend.lastSearch?.query == "expense report")
        #expect(await running.backend.lastSearch?.limit == 2)

        let human = try await ctl(running, ["search", "handbook", "expense"])
        #expect(human.stdout.contains("1. Expense policy"))
        #expect(human.stdout.contains("https://wiki.example/pages/101#receipts"))
        await running.stop()
    }

    @Test("A query is never a usage error: words starting with '-' are query words, options go before or after, -- ends options")
    func dashedQueries() async throws {
        let running = try RunningServer.start()
        let cases: [([String], String, Int)] = [
            (["search", "handbook", "-m ast"], "-m ast", 10),
            (["search", "handbook", "-m", "ast"], "-m ast", 10),
            (["search", "handbook", "--limit", "3", "-m ast"], "-m ast", 3),
            (["search", "handbook", "-m ast", "--limit", "3"], "-m ast", 3),
            (["search", "--limit", "2", "handbook", "__init__", "-x"], "__init__ -x", 2),
            (["search", "--json", "handbook", "--", "--limit", "3"], "--limit 3", 10),
            (["search", "--json", "handbook", "--", "-m", "--", "ast"], "-m -- ast", 10),
        ]
        // ask takes its question the same way, and --datastore names where to ask.
        let asked = try await ctl(running, ["ask", "--json", "--datastore", "handbook", "-why", "--", "--passages"])
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(await running.backend.lastAskRequest?.question == "-why --passages")
        #expect(await running.backend.lastAskRequest?.datastores == ["handbook"])
        for (arguments, query, limit) in cases {
            let result = try await ctl(running, arguments.contains("--") ? arguments : arguments + ["--json"])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let request = await running.backend.lastSearchRequest
            #expect(request?.query == query, "\(arguments)")
            #expect(request?.limit == limit, "\(arguments)")
            #expect(request?.datastores == ["handbook"], "\(arguments)")
        }
        await running.stop()
    }

    @Test("Exit statuses: 3 not found, 2 usage, 5 unreachable with a clear message, 8 unhealthy")
    func exitStatuses() async throws {
        let running = try RunningServer.start()
        let missing = try await ctl(running, ["status", "nope"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no datastore named 'nope'"))
        #expect(try await ctl(running, ["explain", "handbook", "9"]).status == 3)
        #expect(try await ctl(running, ["search", "handbook", "x", "--limit", "0"]).status == 2)
        #expect(try await ctl(running, ["frobnicate"]).status == 2)
        #expect(try await ctl(running, ["credits", "add", "1.2345"]).status == 2)

        let unreachable = try await runAsync(try Paths.tributaryctl(), ["--socket", "/tmp/tributary-nobody-home.sock", "list"])
        #expect(unreachable.status == 5)
        #expect(unreachable.stderr.contains("cannot reach tributaryd at /tmp/tributary-nobody-home.sock: "))

        #expect(try await ctl(running, ["health"]).status == 0)
        await running.backend.setHealth("degraded")
        let unhealthy = try await ctl(running, ["health", "--json"])
        #expect(unhealthy.status == 8)
        #expect(try json(unhealthy.stdout)["status"] == .string("degraded"))
        await running.stop()
    }

    @Test("TRIBUTARY_SOCKET is used when --socket is absent; --socket may follow the subcommand")
    func socketSelection() async throws {
        let running = try RunningServer.start()
        var environment = ProcessInfo.processInfo.environment
        environment["TRIBUTARY_SOCKET"] = running.path
        let viaEnvironment = try await runAsync(try Paths.tributaryctl(), ["list", "--json"], environment: environment)
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
        #expect(try json(viaEnvironment.stdout)["datastores"]?.arrayValue?.first?["name"] == .string("handbook"))
        let after = try await runAsync(try Paths.tributaryctl(), ["list", "--socket", running.path])
        #expect(after.status == 0)
        #expect(after.stdout.contains("handbook"))
        #expect(after.stdout.contains("✔ ready"))
        await running.stop()
    }

    @Test("create reads the token from --token-file and from standard input, never printing it")
    func createToken() async throws {
        let running = try RunningServer.start()
        let file = "/tmp/tributary-token-\(UUID().uuidString.prefix(8))"
        try "good-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try await ctl(running, [
            "create", "eng", "--url", "https://x.atlassian.net/wiki/spaces/ENG", "--email", "me@x", "--token-file", file,
            "--rate-limit", "4", "--space", "ENG", "--exclude-label", "draft",
        ])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.contains("eng created"))
        let spec = await running.backend.specs["eng"]
        #expect(spec?.token == "good-token")
        #expect(spec?.rateLimit == 4)
        #expect(spec?.excludeLabels == ["draft"])

        let fromStdin = try await ctl(running, [
            "create", "ops", "--url", "https://x/wiki/spaces/OPS", "--email", "me@x", "--token-file", "-", "--json",
        ], stdin: "good-token\n")
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(try json(fromStdin.stdout)["name"] == .string("ops"))
        #expect(await running.backend.specs["ops"]?.token == "good-token")
        #expect(!(fromFile.stdout + fromFile.stderr + fromStdin.stdout + fromStdin.stderr).contains("good-token"))

        // No token source and no terminal: a usage error, nothing sent.
        let none = try await ctl(running, ["create", "qa", "--url", "https://x", "--email", "me@x"])
        #expect(none.status == 2)
        #expect(await running.backend.specs["qa"] == nil)
        // A rejected token is the daemon's error: status 1, and the token is not echoed.
        let rejected = try await ctl(running, ["create", "qa", "--url", "https://x", "--email", "me@x", "--token-file", "-"], stdin: "bad-token")
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("authentication failed"))
        #expect(!rejected.stderr.contains("bad-token"))
        await running.stop()
    }

    @Test("watch --until ready: 0 when ready, 6 when it fails or pauses, 7 on timeout")
    func watchUntilReady() async throws {
        let backend = FakeBackend(datastores: [FakeBackend.status("handbook", state: "processing", indexed: 10)])
        await backend.setWatchScript([
            FakeBackend.status("handbook", state: "processing", indexed: 20,
                               progress: ProgressReport(done: 20, total: 50, pagesPerSecond: 4, etaSeconds: 7.5)),
            FakeBackend.status("handbook", state: "ready", indexed: 50),
        ])
        let running = try RunningServer.start(backend: backend)
        let ready = try await ctl(running, ["watch", "handbook", "--until", "ready", "--timeout", "20"])
        #expect(ready.status == 0, "\(ready.stderr)")
        let lines = ready.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.dropFirst().first?.contains("40% 20/50 pages") == true)
        #expect(lines.dropFirst().first?.contains("ETA 8s") == true)
        #expect(lines.last?.contains("✔ ready") == true)

        await backend.setWatchScript([FakeBackend.status("handbook", state: "failed", reason: "authentication", message: "Confluence answered 401")])
        let failed = try await ctl(running, ["watch", "handbook", "--until", "ready", "--json"])
        #expect(failed.status == 6)
        #expect(failed.stderr.contains("Confluence answered 401"))
        #expect(try failed.stdout.split(separator: "\n").map { try json(String($0))["state"] } == [.string("processing"), .string("failed")])

        await backend.setWatchScript([FakeBackend.status("handbook", state: "paused", reason: "insufficient_credits")])
        #expect(try await ctl(running, ["watch", "handbook", "--until", "ready"]).status == 6)

        await backend.setWatchScript([])
        let started = Date()
        let timedOut = try await ctl(running, ["watch", "handbook", "--until", "ready", "--timeout", "0.5"])
        #expect(timedOut.status == 7)
        #expect(Date().timeIntervalSince(started) < 10)
        await running.stop()
    }

    @Test("credits add takes credits with up to three decimals; auto-top-off and price change the policy")
    func credits() async throws {
        let running = try RunningServer.start()
        let added = try await ctl(running, ["credits", "add", "12.345", "--note", "march"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(await running.backend.addedMillicredits == [12_345])
        #expect(added.stdout.contains("balance: 112.345 credits"))
        let shown = try await ctl(running, ["credits", "--json"])
        #expect(try json(shown.stdout)["balanceMillicredits"] == .integer(112_345))
        #expect(try json(shown.stdout)["recent"]?.arrayValue?.first?["note"] == .null)
        #expect(try await ctl(running, ["credits", "auto-top-off", "--enable", "--amount", "50", "--threshold", "5.5"]).status == 0)
        #expect(try await ctl(running, ["credits", "price", "0.25"]).status == 0)
        let changes = await running.backend.policyChanges
        #expect(changes.first?.autoTopOffEnabled == true)
        #expect(changes.first?.autoTopOffAmountMillicredits == 50_000)
        #expect(changes.first?.autoTopOffThresholdMillicredits == 5_500)
        #expect(changes.last?.millicreditsPerThousandTokens == 250)
        await running.stop()
    }

    @Test("Mutating commands print the new state; delete and explain work; bench-search reports p50/p99")
    func otherCommands() async throws {
        let running = try RunningServer.start()
        #expect(try await ctl(running, ["pause", "handbook"]).stdout.contains("‖ paused"))
        #expect(try await ctl(running, ["resume", "handbook"]).stdout.contains("⟳ processing"))
        #expect(try json(try await ctl(running, ["resync", "handbook", "--json"]).stdout)["state"] == .string("syncing_metadata"))
        #expect(try await ctl(running, ["explain", "handbook", "101"]).stdout.contains("disposition: indexed"))
        let bench = try await ctl(running, ["bench-search", "handbook", "expense", "travel", "--count", "200", "--json"])
        #expect(bench.status == 0, "\(bench.stderr)")
        let figures = try json(bench.stdout)
        #expect(figures["calls"] == .integer(200))
        let p50 = try #require(figures["p50Ms"].flatMap { if case .double(let v) = $0 { v } else { $0.integerValue.map(Double.init) } })
        let p99 = try #require(figures["p99Ms"].flatMap { if case .double(let v) = $0 { v } else { $0.integerValue.map(Double.init) } })
        #expect(p50 > 0 && p50 <= p99)
        #expect(try await ctl(running, ["interface"]).stdout == ControlInterface.description)
        #expect(try await ctl(running, ["delete", "handbook"]).status == 0)
        #expect(try await ctl(running, ["list"]).stdout.contains("No datastores"))
        await running.stop()
    }

    @Test("The man page lists every command and option; completions are generated")
    func manualAndCompletions() async throws {
        let page = try await runAsync(try Paths.tributaryctl(), ["manual"])
        #expect(page.status == 0)
        #expect(page.stdout.hasPrefix(".TH TRIBUTARYCTL 1"))
        for command in ["create", "update", "list", "status", "watch", "search", "explain", "resync", "pause", "resume",
                        "delete", "credits", "health", "interface", "convert", "manual"] {
            #expect(page.stdout.contains(".SS \"tributaryctl \(command)\""), "\(command)")
        }
        for subcommand in ["credits show", "credits add", "credits auto\\-top\\-off", "credits price"] {
            #expect(page.stdout.contains(".SS \"tributaryctl \(subcommand)\""), "\(subcommand)")
        }
        #expect(page.stdout.contains("\\fB\\-\\-token\\-file\\fR"))
        #expect(page.stdout.contains("TRIBUTARY_SOCKET"))
        #expect(!page.stdout.contains("bench\\-search"), "hidden commands stay out of the manual")
        let completion = try await runAsync(try Paths.tributaryctl(), ["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.stdout.contains("watch"))
    }
}
