import Foundation

extension FakeConfluence {
    /// Adds a blog post to a space; returns its id.
    @discardableResult
    public func createBlogPost(space: String, title: String, body: String) async throws -> String {
        let answer = try await admin("POST", "/_fake/pages", body: Self.json(["spaceKey": space, "title": title, "body": body, "type": "blogpost"]))
        guard let id = (answer as? [String: Any])?["id"] else { throw CocoaError(.coderValueNotFound) }
        return "\(id)"
    }

    /// Adds a comment (`location` footer or inline) to a page or blog post; returns its id.
    /// The page's version does not change.
    @discardableResult
    public func addComment(to pageId: String, body: String, location: String = "footer") async throws -> String {
        let answer = try await admin("POST", "/_fake/comments", body: Self.json(["pageId": pageId, "body": body, "location": location]))
        guard let id = (answer as? [String: Any])?["id"] else { throw CocoaError(.coderValueNotFound) }
        return "\(id)"
    }

    /// Removes a comment and its replies.
    public func deleteComment(_ id: String) async throws {
        try await admin("DELETE", "/_fake/comments/\(id)")
    }
}
