import FakeConfluenceSupport
import Foundation
import Testing

@Suite("tributaryctl search passages and page reads end to end", .serialized)
struct PageReadTests {
    @Test("search --json returns passages with page metadata; a long page read with --max-chars in parts reassembles exactly; --section returns one section")
    func passagesAndPages() async throws {
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon()
            try await harness.create("hb", space: "HB")
            try await harness.waitReady("hb")

            // Passages, with the page's space, version and time.
            let search = try await harness.ctl(["search", "hb", "expenses travel holidays", "--limit", "8", "--json"])
            #expect(search.status == 0, "\(search.stderr)")
            let results = try #require(try search.json()["results"] as? [[String: Any]])
            #expect(results.count == 8)
            for result in results {
                let title = try #require(result["title"] as? String)
                let text = try #require(result["text"] as? String)
                #expect(text.hasPrefix(title) && text.count > (result["snippet"] as? String ?? "").count / 2, "\(text.prefix(80))")
                #expect(result["datastore"] as? String == "hb")
                #expect(result["space"] as? String == "HB")
                #expect(result["version"] is Int)
                #expect((result["lastModified"] as? String)?.hasSuffix("Z") == true)
                #expect(result["labels"] is [Any])
            }
            // Several datastores at once, and filters.
            let all = try await harness.ctl(["search", "--all", "--space", "HB", "--modified-after", "2000-01-01", "expenses", "--json"])
            #expect(all.status == 0, "\(all.stderr)")
            #expect((try all.json()["results"] as? [[String: Any]])?.isEmpty == false)
            let none = try await harness.ctl(["search", "--datastore", "hb", "--space", "NOPE", "expenses", "--json"])
            #expect((try none.json()["results"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await harness.ctl(["search", "--datastore", "missing", "expenses"]).status == 3)

            // The longest page among many results, named by the URL its passage cites.
            let broad = try await harness.ctl(["search", "hb", "team people engineering handbook questions", "--limit", "40", "--json"])
            var longest: (url: String, pageId: String, total: Int) = ("", "", 0)
            for result in try #require(try broad.json()["results"] as? [[String: Any]]) {
                let url = try #require(result["url"] as? String)
                let page = try await harness.ctl(["page", "hb", url, "--max-chars", "1", "--json"]).json()
                let total = try #require(page["totalChars"] as? Int)
                if total > longest.total { longest = (url, try #require(page["pageId"] as? String), total) }
            }
            #expect(longest.total > 2_000)
            let whole = try await harness.ctl(["page", "hb", longest.pageId, "--json"]).json()
            let wholeText = try #require(whole["text"] as? String)
            #expect(whole["totalChars"] as? Int == longest.total && wholeText.unicodeScalars.count == longest.total)
            #expect(whole["nextOffset"] is NSNull)
            #expect(wholeText.hasPrefix("# \(try #require(whole["title"] as? String))\n"))

            // In parts of 300 characters, each naming the next, back to exactly the whole text.
            var parts: [String] = []
            var offset: Int? = 0
            while let next = offset, parts.count < 100 {
                let part = try await harness.ctl(["page", "hb", longest.url, "--max-chars", "300", "--offset", String(next), "--json"]).json()
                let text = try #require(part["text"] as? String)
                #expect(part["offset"] as? Int == next && text.unicodeScalars.count <= 300)
                parts.append(text)
                offset = part["nextOffset"] as? Int
            }
            #expect(parts.count == (longest.total + 299) / 300 && parts.count >= 7)
            #expect(parts.joined() == wholeText)
            // The plain output is the text itself; a part says on stderr where the rest starts.
            #expect(try await harness.ctl(["page", "hb", longest.pageId]).stdout == wholeText)
            let firstPart = try await harness.ctl(["page", "hb", longest.pageId, "--max-chars", "300"])
            #expect(firstPart.stdout == parts[0] && firstPart.stderr.contains("--offset 300"))

            // One section, with its subsections: the outline's slice of the whole text.
            let outline = try #require(whole["outline"] as? [[String: Any]])
            let heading = try #require(outline.first)
            let anchor = try #require(heading["anchor"] as? String)
            let section = try await harness.ctl(["page", "hb", longest.pageId, "--section", anchor, "--json"]).json()
            let start = try #require(heading["offset"] as? Int), length = try #require(heading["length"] as? Int)
            let expected = String(String.UnicodeScalarView(wholeText.unicodeScalars.dropFirst(start).prefix(length)))
            #expect(section["text"] as? String == expected)
            #expect((section["text"] as? String)?.hasPrefix("#") == true)
            #expect(section["section"] as? String == anchor && section["totalChars"] as? Int == length)
            #expect((section["url"] as? String)?.hasSuffix("#" + anchor) == true)
            // A part of a section: offsets count from the section's start.
            let sectionPart = try await harness.ctl(["page", "hb", longest.pageId, "--section", anchor, "--max-chars", "50",
                                                     "--offset", "10", "--json"]).json()
            #expect(sectionPart["text"] as? String == String(String.UnicodeScalarView(expected.unicodeScalars.dropFirst(10).prefix(50))))
            #expect(sectionPart["nextOffset"] as? Int == (length > 60 ? 60 : nil))
            // An anchor typed in another case finds the section, and the reply names the real anchor.
            let folded = try await harness.ctl(["page", "hb", longest.pageId, "--section", anchor.lowercased(), "--json"]).json()
            #expect(folded["text"] as? String == expected && folded["section"] as? String == anchor)
            let missing = try await harness.ctl(["page", "hb", longest.pageId, "--section", "No-such-heading"])
            #expect(missing.status == 3 && missing.stderr.contains("No-such-heading"), "\(missing.stderr)")
            let outlined = try await harness.ctl(["page", "hb", longest.pageId, "--outline"])
            #expect(outlined.status == 0 && outlined.stdout.contains("#\(anchor)"))
            #expect(try await harness.ctl(["page", "hb", "99999999"]).status == 3)
            #expect(try await harness.ctl(["page", "hb", longest.pageId, "--offset", String(longest.total + 1)]).status == 2)
            _ = await harness.stopDaemon()
        }
    }
}
