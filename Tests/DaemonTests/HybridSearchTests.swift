import FakeConfluenceSupport
import Foundation
import Search
import Testing

/// Hybrid search through the real daemon with the real model: all-MiniLM-L6-v2 served by
/// `scripts/embedding_server` (numpy), the bundled handbook space from the fake Confluence.
@Suite("tributaryd hybrid search with the real embedding model", .serialized)
struct HybridSearchTests {
    static let key = "sk-embed-\(UUID().uuidString.prefix(12))"
    /// Answered by the security policy's "Devices" section ("a lost or stolen device is a
    /// security incident"), which shares few of its words: BM25 ranks the sick-leave section
    /// (tell, phone, email) above it; the model does not.
    static let question = "who do I tell when my phone with company email goes missing"
    /// The Security and People page trees of the sample handbook: about forty chunks, so the
    /// numpy model embeds them in well under a minute on an idle machine.
    static let rootPages = ["300050", "300060"]

    @Test("Vectors fill in after ready (status embeddings, ledger lines); search is hybrid, --lexical is not; the key stays secret")
    func hybridEndToEnd() async throws {
        let python: String
        switch EmbeddingServer.python() {
        case .success(let found): python = found
        case .failure(let unavailable):
            // Only when the pinned packages are missing; scripts/test installs them.
            print("skipped: \(unavailable.reason)")
            return
        }
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { confluence in
            try await EmbeddingServer.with(python: python, key: Self.key) { server in
                let harness = try DaemonHarness(fake: confluence)
                defer { harness.remove() }
                let keyFile = harness.directory + "/embedding-key"
                try (Self.key + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
                let configFile = harness.directory + "/tributaryd.conf"
                try """
                embedding_url = \(server.baseURL)
                embedding_model = \(EmbeddingServer.model)
                embedding_api_key_file = \(keyFile)
                """.write(toFile: configFile, atomically: true, encoding: .utf8)
                try await harness.startDaemon(extraArguments: ["--config", configFile])
                let create = try await harness.ctl(["create", "hb", "--url", confluence.origin + "/wiki/spaces/HB",
                                                    "--email", DaemonHarness.email, "--token-file", harness.tokenFile]
                                                   + Self.rootPages.flatMap { ["--root-page", $0] })
                #expect(create.status == 0, "\(create.stderr)")
                try await harness.waitReady("hb")
                // Ready and searchable at once; the vectors follow (bounded, for a loaded machine).
                var embeddings: [String: Any] = [:]
                let deadline = Date().addingTimeInterval(300)
                while Date() < deadline {
                    let status = try await harness.ctl(["status", "hb", "--json"]).json()
                    #expect(status["state"] as? String == "ready")
                    embeddings = status["embeddings"] as? [String: Any] ?? [:]
                    if embeddings["pending"] as? Int == 0, (embeddings["embedded"] as? Int ?? 0) > 0 { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
                #expect(embeddings["pending"] as? Int == 0, "\(embeddings) \(harness.tail())")
                #expect((embeddings["embedded"] as? Int ?? 0) > 20)
                #expect(embeddings["model"] as? String == EmbeddingServer.model)
                #expect(embeddings["dimensions"] as? Int == 384)
                #expect(embeddings["reason"] == nil || embeddings["reason"] is NSNull)

                let lexical = try await harness.ctl(["search", "hb", Self.question, "--lexical", "--limit", "5", "--json"]).json()
                let hybrid = try await harness.ctl(["search", "hb", Self.question, "--limit", "5", "--json"]).json()
                let lexicalHits = lexical["results"] as? [[String: Any]] ?? []
                let hybridHits = try #require(hybrid["results"] as? [[String: Any]])
                try #require(!hybridHits.isEmpty)
                let titles = hybridHits.compactMap { $0["title"] as? String }
                // The answer lives in the Security tree (its page says whom to tell; the policy's
                // Devices section says what to do): hybrid finds both pages in its top 3 and the
                // Devices passage among its results (behind the policy's "Reporting an incident",
                // which the words match), lexical finds neither first.
                #expect(["Security", "Security policy"].contains(titles.first ?? ""), "hybrid: \(titles)")
                #expect(Set(titles.prefix(3)).isSuperset(of: ["Security", "Security policy"]), "hybrid: \(titles)")
                #expect(hybridHits.contains { $0["title"] as? String == "Security policy" && $0["anchor"] as? String == "Devices" },
                        "hybrid: \(titles)")
                let lexicalTitles = lexicalHits.compactMap { $0["title"] as? String }
                #expect(lexicalTitles.first != nil && !["Security", "Security policy"].contains(lexicalTitles.first!), "lexical: \(lexicalTitles)")
                // Fused scores are weighted reciprocal ranks (≤ 1/(k + 1) with weights summing to 1);
                // BM25 scores are not.
                #expect(hybridHits.allSatisfy { ($0["score"] as? Double ?? 1) <= 1 / (ReciprocalRankFusion.Hybrid.k + 1) + 1e-9 })

                let credits = try await harness.ctl(["credits", "--recent", "200", "--json"]).json()
                let lines = (credits["recent"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "embedding" }
                #expect(!lines.isEmpty)
                #expect(lines.allSatisfy { $0["datastore"] as? String == "hb" })

                await harness.stopDaemon()
                #expect(!harness.tail(1 << 20).contains(Self.key))
            }
        }
    }
}
