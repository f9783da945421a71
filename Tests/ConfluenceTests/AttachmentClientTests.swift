import FakeConfluenceSupport
import Foundation
import HTTP
import Testing
@testable import Confluence

/// The attachment listings and downloads of both flavors against the fake (issue #16).
@Suite("Confluence attachments against the fake")
struct AttachmentClientTests {
    static let email = "att@example.com"
    static let token = "att-token"

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tributary-att-\(UUID().uuidString)").path
    }

    @Test("Cloud: one page's attachments, the site-wide listing in cursor pages, downloads whole or stopped at the limit")
    func cloud() async throws {
        try await FakeConfluence.with(["--sample", "--email", Self.email, "--token", Self.token]) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/HB")
            let (client, _) = try await ConfluenceClient.connect(
                to: location, credentials: .apiToken(email: Self.email, token: Self.token), governor: RateGovernor(configuration: .fast()),
                options: ConfluenceClient.Options(pageLimit: 2))
            let page = try await client.attachments(ofPage: "300064")
            #expect(Set(page.map(\.title)) == ["expense-limits.csv", "travel-policy.docx"])
            let csv = try #require(page.first { $0.title == "expense-limits.csv" })
            #expect(csv.pageId == "300064" && csv.version == 1 && csv.mediaType == "text/csv" && (csv.fileSize ?? 0) > 100)

            try await fake.resetStats()
            let site = try #require(try await client.siteAttachments())
            #expect(site.contains { $0.id == csv.id && $0.pageId == "300064" })
            #expect(Set(site.map(\.id)).count == site.count && site.count >= 6)
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["v2.attachments"] == (site.count + 1) / 2)

            let path = Self.temporaryFile()
            defer { unlink(path) }
            #expect(try await client.download(csv, to: path, maxBytes: 1 << 20) == .complete(bytes: csv.fileSize ?? -1))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("category,limit,notes"))
            let cut = Self.temporaryFile()
            defer { unlink(cut) }
            #expect(try await client.download(csv, to: cut, maxBytes: 50) == .tooLarge(limit: 50))

            // A new version shows in the listing with its number and its own download.
            _ = try await fake.admin("POST", "/_fake/pages/300064/attachments", body: #"{"filename": "expense-limits.csv", "text": "category\nnone\n"}"#)
            let edited = try #require(try await client.attachments(ofPage: "300064").first { $0.id == csv.id })
            #expect(edited.version == 2)
            let second = Self.temporaryFile()
            defer { unlink(second) }
            #expect(try await client.download(edited, to: second, maxBytes: 1 << 20) == .complete(bytes: 14))
            // The file must be new: an existing path (or a link planted there) is never written through.
            await #expect(throws: ConfluenceError.self) { try await client.download(edited, to: second, maxBytes: 1 << 20) }
            // A page that is gone has no attachments.
            #expect(try await client.attachments(ofPage: "999999").isEmpty)
        }
    }

    @Test("Data Center: /content/{id}/child/attachment by offsets under the context path; no site-wide listing")
    func dataCenter() async throws {
        try await FakeConfluence.with(["--mode", "dc", "--context-path", "/confluence", "--sample", "--email", Self.email,
                                       "--token", Self.token]) { fake in
            for n in 0..<3 {
                _ = try await fake.admin("POST", "/_fake/pages/300011/attachments", body: #"{"filename": "f\#(n).txt", "text": "file \#(n)"}"#)
            }
            let location = try SpaceLocation.parse("\(fake.origin)/confluence/display/HB")
            let (client, _) = try await ConfluenceClient.connect(
                to: location, credentials: .basic(username: Self.email, password: Self.token), governor: RateGovernor(configuration: .fast()),
                options: ConfluenceClient.Options(pageLimit: 2))
            let listed = try await client.attachments(ofPage: "300011")
            #expect(Set(listed.map(\.title)) == ["escalation.txt", "handover-checklist.md", "f0.txt", "f1.txt", "f2.txt"])
            #expect(listed.allSatisfy { $0.version == 1 && $0.pageId == "300011" && $0.fileSize != nil })
            #expect(try await client.siteAttachments() == nil)
            let f2 = try #require(listed.first { $0.title == "f2.txt" })
            let path = Self.temporaryFile()
            defer { unlink(path) }
            #expect(try await client.download(f2, to: path, maxBytes: 1_000) == .complete(bytes: 6))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "file 2")
        }
    }
}
