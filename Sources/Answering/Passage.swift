/// One retrieved passage as the answer sees it: numbered from 1 in the order sent.
public struct Passage: Sendable, Equatable {
    public var datastore: String
    public var pageId: String
    public var title: String
    /// The page URL with the passage's `#anchor`.
    public var url: String
    public var headingPath: [String]
    /// The passage's Markdown (or, when the index has no passage text, its snippet).
    public var text: String

    public init(datastore: String, pageId: String, title: String, url: String, headingPath: [String], text: String) {
        self.datastore = datastore
        self.pageId = pageId
        self.title = title
        self.url = url
        self.headingPath = headingPath
        self.text = text
    }

    /// `Title › Heading › Subheading`.
    public var location: String {
        ([title] + headingPath.filter { !$0.isEmpty && $0 != title }).joined(separator: " › ")
    }
}
