import Foundation
import Testing
@testable import HTTP

@Suite("Headers, redaction and Retry-After")
struct HTTPUtilityTests {
    @Test func headersAreCaseInsensitiveMultiMaps() {
        var headers: HTTPHeaders = ["Link": "<a>; rel=\"next\""]
        headers.add(name: "link", value: "<b>; rel=\"base\"")
        headers.add(name: "Authorization", value: "Basic c2VjcmV0")
        #expect(headers["LINK"] == "<a>; rel=\"next\"")
        #expect(headers.values(for: "Link").count == 2)
        #expect(!headers.description.contains("c2VjcmV0"))
        headers.replaceOrAdd(name: "LINK", value: "<c>")
        #expect(headers.values(for: "link") == ["<c>"])
        headers.remove(name: "authorization")
        #expect(!headers.contains(name: "Authorization"))
    }

    @Test(arguments: [
        ("https://me%40x.com:tok@example.atlassian.net/wiki/api/v2/pages?cursor=abc", "https://example.atlassian.net/wiki/api/v2/pages"),
        ("http://127.0.0.1:8080/rest/api/content#frag", "http://127.0.0.1:8080/rest/api/content"),
        ("https://host", "https://host"),
    ])
    func redaction(input: String, expected: String) {
        #expect(URLRedaction.redact(input) == expected)
    }

    @Test func scrubRemovesUserinfoInsideText() {
        let text = URLRedaction.scrub("Failed to connect to https://bob:hunter2@h.example/x after 5 ms")
        #expect(text == "Failed to connect to https://h.example/x after 5 ms")
    }

    @Test func retryAfterBothForms() throws {
        let now = try #require(RetryAfter.httpDate("Wed, 21 Oct 2015 07:28:00 GMT"))
        #expect(RetryAfter.parse("120", now: now) == 120)
        #expect(RetryAfter.parse(" 3 ", now: now) == 3)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
        #expect(RetryAfter.parse("Wednesday, 21-Oct-15 07:29:00 GMT", now: now) == 60)
        #expect(RetryAfter.parse("Wed Oct 21 07:28:10 2015", now: now) == 10)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.parse("soon", now: now) == nil)
    }
}
