import FakeConfluenceSupport
import Foundation
import Testing

/// Attachments end to end (issue #16): the daemon syncs the sample space from the Python fake,
/// finds the text of an attached CSV, and cites the file and its parent page; a new upload and
/// a deletion show after one resync each.
@Suite("Attachments end to end", .serialized)
struct AttachmentDaemonTests {
    @Test("tributaryctl search finds an attached CSV, cited with its download URL and its page; uploads and deletions follow")
    func attachmentFoundAndCited() async throws {
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create("hb", space: "HB")
            try await harness.waitReady("hb")

            let search = try await harness.ctl(["search", "hb", "city centre hotels London Zurich", "--limit", "3", "--json"])
            #expect(search.status == 0, "\(search.stderr)")
            let results = try #require(try search.json()["results"] as? [[String: Any]])
            let first = try #require(results.first)
            let attachment = try #require(first["attachment"] as? [String: Any], "\(first)")
            #expect(first["contentType"] as? String == "attachment")
            #expect(attachment["title"] as? String == "expense-limits.csv")
            #expect((attachment["url"] as? String)?.hasPrefix(fake.origin + "/wiki/download/attachments/300064/expense-limits.csv") == true,
                    "\(attachment)")
            #expect(first["pageId"] as? String == "300064" && first["title"] as? String == "Expenses and travel")
            #expect((first["url"] as? String)?.hasPrefix(fake.origin + "/wiki/spaces/HB/pages/300064") == true, "\(first)")
            // The file's text reads like a page, by the id MCP's search gives it (`attachment:ID`).
            let attachmentId = try #require(attachment["id"] as? String)
            let read = try await harness.ctl(["page", "hb", "attachment:" + attachmentId, "--json"])
            #expect(read.status == 0, "\(read.stderr)")
            let file = try read.json()
            #expect(file["title"] as? String == "expense-limits.csv" && file["space"] as? String == "HB")
            #expect((file["text"] as? String)?.contains("hotel | 180 euros a night") == true, "\(file)")
            // For people: the page, then the file.
            let plain = try await harness.ctl(["search", "hb", "city centre hotels London Zurich", "--limit", "1"])
            #expect(plain.stdout.contains("Expenses and travel") && plain.stdout.contains("📎 expense-limits.csv"), "\(plain.stdout)")

            // An answer (extractive: no model) cites the file and its page.
            let asked = try await harness.ctl(["ask", "hb", "What do city centre hotels in London or Zurich cost?", "--passages", "2", "--json"])
            #expect(asked.status == 0, "\(asked.stderr)")
            let citations = try #require(try asked.json()["citations"] as? [[String: Any]])
            let cited = try #require(citations.first { $0["attachment"] != nil }, "\(citations)")
            #expect(cited["pageId"] as? String == "300064" && cited["title"] as? String == "Expenses and travel")
            #expect((cited["attachment"] as? [String: Any])?["title"] as? String == "expense-limits.csv")

            // Status counts attachments beside pages; explain lists a page's files with their state.
            let status = try await harness.ctl(["status", "hb", "--json"]).json()
            let counts = try #require(status["attachments"] as? [String: Any], "\(status)")
            #expect((counts["indexed"] as? Int ?? 0) >= 3)
            #expect(((counts["skippedByReason"] as? [String: Int])?["type_not_indexed"] ?? 0) >= 1)
            let explained = try await harness.ctl(["explain", "hb", "300064", "--json"]).json()
            let files = try #require(explained["attachments"] as? [[String: Any]])
            #expect(Set(files.compactMap { $0["title"] as? String }) == ["expense-limits.csv", "travel-policy.docx"])

            // A new upload is found after one resync; once deleted, it is gone after the next.
            let uploaded = try #require(try await fake.admin("POST", "/_fake/pages/300064/attachments",
                                                             body: #"{"filename": "parking.txt", "text": "Visitors park on level minus two of the quayside garage."}"#)
                                        as? [String: Any])
            let id = try #require(uploaded["id"] as? String)
            #expect(try await harness.ctl(["resync", "hb"]).status == 0)
            try await harness.waitReady("hb")
            let found = try await harness.ctl(["search", "hb", "quayside garage", "--json"]).json()
            #expect(((found["results"] as? [[String: Any]])?.first?["attachment"] as? [String: Any])?["id"] as? String == id)
            _ = try await fake.admin("DELETE", "/_fake/pages/300064/attachments/\(id)")
            #expect(try await harness.ctl(["resync", "hb"]).status == 0)
            try await harness.waitReady("hb")
            let gone = try await harness.ctl(["search", "hb", "quayside garage", "--json"]).json()
            #expect((gone["results"] as? [[String: Any]])?.isEmpty == true, "\(gone)")
        }
    }
}
