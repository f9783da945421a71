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
    /// When the passage is from a file attached to the page: that file.
    public var attachment: PassageAttachment?

    public init(datastore: String, pageId: String, title: String, url: String, headingPath: [String], text: String,
                attachment: PassageAttachment? = nil) {
        self.datastore = datastore
        self.pageId = pageId
        self.title = title
        self.url = url
        self.headingPath = headingPath
        self.text = text
        self.attachment = attachment
    }

    /// `Title › Heading › Subheading` (`Title › file.pdf › Page 2` for an attachment's passage).
    public var location: String {
        ([title] + (attachment.map { [$0.title] } ?? []) + headingPath.filter { !$0.isEmpty && $0 != title }).joined(separator: " › ")
    }

    /// The text without a first line that only repeats ``location`` (search passages start
    /// with it), so a prompt or a quote that names the location does not say it twice.
    public var body: String {
        let prefix = location + "\n"
        guard text.hasPrefix(prefix) else { return text }
        return String(text.dropFirst(prefix.count)).trimmingWhitespace()
    }
}

/// The attached file a passage comes from (its page is the passage's page).
public struct PassageAttachment: Sendable, Equatable {
    public var id: String
    /// The file name.
    public var title: String
    /// The download URL (with `#page=N` for a PDF page).
    public var url: String
    public var mediaType: String?
    public var pageNumber: Int?

    public init(id: String, title: String, url: String, mediaType: String? = nil, pageNumber: Int? = nil) {
        self.id = id
        self.title = title
        self.url = url
        self.mediaType = mediaType
        self.pageNumber = pageNumber
    }
}
