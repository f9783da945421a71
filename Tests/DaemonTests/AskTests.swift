import Control
import FakeConfluenceSupport
import Foundation
import Synchronization
import Testing

@Suite("tributaryd answers with citations", .serialized)
struct AskTests {
    static let modelKey = "sk-model-\(UUID().uuidString.prefix(12))"
    static let question = "How do I claim travel expenses and receipts?"
    static let scripted = "Claim expenses in the expense tool within 30 days [1]. Keep receipts [2][9], see also [1, 9]."
    static let cleaned = "Claim expenses in the expense tool within 30 days [1]. Keep receipts [2], see also [1]."

    @Test("ask: passages reach the prompt, [n] resolve to page URLs, an invented [9] is dropped, usage is charged once, deltas stream in order, failures fall back to extractive, the key stays secret")
    func askEndToEnd() async throws {
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { confluence in
            try await FakeLLM.with(key: Self.modelKey, hangSeconds: 15) { model in
                let harness = try DaemonHarness(fake: confluence)
                defer { harness.remove() }
                let keyFile = harness.directory + "/model-key"
                try (Self.modelKey + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
                let configFile = harness.directory + "/tributaryd.conf"
                try """
                llm_url = \(model.baseURL)
                llm_model = fake-model
                llm_api_key_file = \(keyFile)
                llm_timeout = 3
                llm_price = 0.5
                """.write(toFile: configFile, atomically: true, encoding: .utf8)
                try await harness.startDaemon(extraArguments: ["--config", configFile])
                let create = try await harness.ctl(["create", "hb", "--url", confluence.origin + "/wiki/spaces/HB",
                                                    "--email", DaemonHarness.email, "--token-file", harness.tokenFile])
                #expect(create.status == 0, "\(create.stderr)")
                try await harness.waitReady("hb")

                // The passages the ask retrieves are the search's best six.
                let search = try await harness.ctl(["search", "hb", Self.question, "--limit", "6", "--json"]).json()
                let hits = try #require(search["results"] as? [[String: Any]])
                try #require(hits.count >= 2)

                try await model.script(answer: Self.scripted)
                let asked = try await harness.ctl(["ask", "hb", Self.question, "--json"])
                #expect(asked.status == 0, "\(asked.stderr)")
                let answer = try asked.json()
                #expect(answer["mode"] as? String == "generated")
                #expect(answer["answer"] as? String == Self.cleaned)
                #expect(answer["model"] as? String == "fake-model")
                let citations = try #require(answer["citations"] as? [[String: Any]])
                #expect(citations.map { $0["n"] as? Int } == [1, 2])
                for (index, citation) in citations.enumerated() {
                    #expect(citation["url"] as? String == hits[index]["url"] as? String)
                    #expect(citation["pageId"] as? String == hits[index]["pageId"] as? String)
                    #expect(citation["title"] as? String == hits[index]["title"] as? String)
                    #expect(citation["datastore"] as? String == "hb")
                    #expect((citation["url"] as? String ?? "").hasPrefix(confluence.origin))
                }
                let usage = try #require(answer["usage"] as? [String: Any])
                let tokens = (usage["promptTokens"] as? Int ?? 0) + (usage["completionTokens"] as? Int ?? 0)
                #expect((usage["promptTokens"] as? Int ?? 0) > 100)
                let charged = Int64((tokens * 500 + 999) / 1_000)
                #expect((answer["chargedMillicredits"] as? Int).map(Int64.init) == charged)

                // The prompt the model read: every passage numbered with its title and URL, then the question.
                let requests = try await model.requests()
                try #require(requests.count == 1)
                let prompt = requests[0].prompt
                #expect(requests[0].authorized)
                #expect(requests[0].stream)
                for (index, hit) in hits.enumerated() {
                    let title = hit["title"] as? String ?? "?", url = hit["url"] as? String ?? "?"
                    #expect(prompt.contains("[\(index + 1)] \(title)"), "passage \(index + 1) numbered")
                    #expect(prompt.contains("(\(url))\n"), "passage \(index + 1) URL")
                }
                #expect(prompt.contains("Question: \(Self.question)"))
                #expect(!prompt.contains("[\(hits.count + 1)] "))

                // Charged once, as model_usage, with the reported tokens.
                var modelEntries = try await ledger(harness)
                #expect(modelEntries.count == 1)
                #expect((modelEntries.first?["millicredits"] as? Int).map(Int64.init) == -charged)
                let note = modelEntries.first?["note"] as? String
                #expect(note?.contains("reported by the model") == true, "\(note ?? "no note")")

                // Streaming: the deltas arrive in order over the socket; the final text is the cleaned one.
                try await model.script(answer: Self.scripted, chunkDelayMilliseconds: 15)
                let client = try await ControlClient.connect(socketPath: harness.socketPath)
                let deltas = Mutex<[String]>([])
                let streamed = try await client.ask(AskRequest(datastores: ["hb"], question: Self.question)) { delta in
                    deltas.withLock { $0.append(delta) }
                }
                client.close()
                let pieces = deltas.withLock { $0 }
                #expect(pieces.count == Self.scripted.split(separator: " ").count)
                #expect(pieces.joined() == Self.scripted)
                #expect(streamed.answer == Self.cleaned)
                // And through tributaryctl: the text as written, then the sources.
                let printed = try await harness.ctl(["ask", "hb", Self.question, "--stream"])
                #expect(printed.status == 0, "\(printed.stderr)")
                #expect(printed.stdout.hasPrefix(Self.scripted + "\n"))
                #expect(printed.stdout.contains("Sources:\n[1] \(hits[0]["title"] as? String ?? "?") — \(hits[0]["url"] as? String ?? "?")\n"))
                modelEntries = try await ledger(harness)
                #expect(modelEntries.count == 3)

                // A failing model: the answer is the best passages, each cited, and says why. Nothing is charged.
                for (mode, reason) in [("401", "HTTP 401"), ("500", "HTTP 500"), ("hang", "did not answer within 3 s")] {
                    try await model.script(mode: mode)
                    let started = Date()
                    let fallback = try await harness.ctl(["ask", "hb", Self.question, "--json"])
                    #expect(fallback.status == 0, "\(mode): \(fallback.stderr)")
                    let object = try fallback.json()
                    #expect(object["mode"] as? String == "extractive", "\(mode)")
                    #expect((object["reason"] as? String ?? "").contains(reason), "\(mode): \(object["reason"] ?? "none")")
                    #expect((object["answer"] as? String ?? "").contains("[1]"))
                    #expect((object["citations"] as? [[String: Any]])?.first?["url"] as? String == hits[0]["url"] as? String)
                    #expect(Date().timeIntervalSince(started) < 10, "\(mode) took too long")
                    let human = try await harness.ctl(["ask", "hb", Self.question])
                    #expect(human.status == 0)
                    #expect(human.stdout.contains("No generated answer: "), "\(mode)")
                }
                #expect(try await ledger(harness).count == 3)

                // Credits enforced and short: refused before the model is called.
                try await model.script(mode: "ok")
                let before = try await model.requests().count
                #expect(try await harness.ctl(["credits", "add", "0.001"]).status == 0)
                let refused = try await harness.ctl(["ask", "hb", Self.question])
                #expect(refused.status == 1)
                #expect(refused.stderr.lowercased().contains("credit"), "\(refused.stderr)")
                #expect(try await model.requests().count == before)

                // Without a model (the configuration reloaded without llm_url): extractive, and free.
                try "log = stderr\n".write(toFile: configFile, atomically: true, encoding: .utf8)
                kill(harness.daemon?.processIdentifier ?? 0, SIGHUP)
                var reason = ""
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline, reason != "no model is configured (llm_url)" {
                    reason = try await harness.ctl(["ask", "hb", Self.question, "--json"]).json()["reason"] as? String ?? ""
                    if reason != "no model is configured (llm_url)" { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(reason == "no model is configured (llm_url)")

                // The model's key never shows in the daemon's output.
                #expect(!harness.tail(1 << 22).contains(Self.modelKey))
                let stop = await harness.stopDaemon()
                #expect(stop.status == 0)
            }
        }
    }

    /// The model_usage lines of the credits report.
    private func ledger(_ harness: DaemonHarness) async throws -> [[String: Any]] {
        let report = try await harness.ctl(["credits", "--recent", "200", "--json"]).json()
        let recent = report["recent"] as? [[String: Any]] ?? []
        return recent.filter { $0["kind"] as? String == "model_usage" }
    }
}
