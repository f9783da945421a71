/// A link the page makes: what the reader sees and where it points.
public struct Link: Sendable, Equatable {
    /// The visible text: the link body, or a description of the target when the body is empty
    /// (page title, file name, `@user`, URL).
    public var text: String
    /// Where the link points.
    public var target: LinkTarget
    /// The `ac:anchor` of the link (a heading or anchor macro on the target page), if any.
    public var anchor: String?
    /// Index in ``Document/sections`` of the section holding the link.
    public var sectionIndex: Int

    /// Creates a link.
    public init(text: String, target: LinkTarget, anchor: String? = nil, sectionIndex: Int) {
        self.text = text
        self.target = target
        self.anchor = anchor
        self.sectionIndex = sectionIndex
    }
}

/// The resource a link points at, one per Confluence resource identifier (`ri:*`).
public enum LinkTarget: Sendable, Equatable {
    /// `ri:page`: a page by title, in the given space or the current one.
    case page(title: String, spaceKey: String?)
    /// `ri:blog-post`: a blog post by title.
    case blogPost(title: String, spaceKey: String?)
    /// `ri:attachment`: a file attached to the current page, or to `pageTitle`.
    case attachment(filename: String, pageTitle: String?, spaceKey: String?)
    /// `ri:user`: a Cloud account id, or a Server user key / user name.
    case user(id: String)
    /// `ri:space`: a space by key.
    case space(key: String)
    /// `ri:url` or an HTML `a href`.
    case url(String)
    /// `ri:content-entity`: content by id.
    case contentEntity(id: String)
    /// A link with only an `ac:anchor`: a place in the current page.
    case anchorInPage
}
