import Control
import Foundation
import Testing
import Varlink

@testable import MCP

/// Passages of attached files in MCP results (issue #16): the page's title and URL, the file
/// beside them, and an id that fetch reads the file's text by.
@Suite("MCP results for attachments")
struct AttachmentResultTests {
    @Test("A file's passage carries the file (download URL, PDF page), an attachment:ID fetch id and content_type attachment; a page's passage has no attachment member")
    func attachmentPassage() {
        var hit = Fixtures.hit
        hit.contentType = "attachment"
        hit.attachment = AttachmentCitation(id: "att42", title: "catalogue.pdf", url: "https://wiki.example.com/wiki/download/attachments/300033/catalogue.pdf#page=2",
                                            mediaType: "application/pdf", pageNumber: 2)
        guard case .object(let result) = ToolResults.searchResult(hit, datastore: nil) else {
            Issue.record("not an object")
            return
        }
        #expect(result["id"] == .string("handbook/attachment:att42"))
        #expect(result["content_type"] == .string("attachment"))
        #expect(result["title"] == .string("Runbook: PostgreSQL") && result["url"] == .string(hit.url))
        #expect(result["attachment"] == .object([
            "id": .string("att42"), "title": .string("catalogue.pdf"), "url": .string(hit.attachment!.url),
            "media_type": .string("application/pdf"), "page_number": .integer(2),
        ]))
        guard case .object(let plain) = ToolResults.searchResult(Fixtures.hit, datastore: nil) else { return }
        #expect(plain["attachment"] == nil && plain["id"] == .string("handbook/300033"))
        #expect(plain["content_type"] == .string("page"))
        var post = Fixtures.hit
        post.contentType = "blogpost"
        guard case .object(let blog) = ToolResults.searchResult(post, datastore: nil) else { return }
        #expect(blog["content_type"] == .string("blogpost") && blog["attachment"] == nil)
    }

    @Test("The search tool's output schema declares content_type, one of page, blogpost, attachment")
    func contentTypeDeclared() throws {
        let results = try #require(ToolCatalog.search.outputSchema["properties"]?["results"]?["items"])
        #expect(results["properties"]?["content_type"]?["enum"] == .array([.string("page"), .string("blogpost"), .string("attachment")]))
        #expect(results["required"]?.arrayValue?.contains(.string("content_type")) == true)
    }
}
