import Extraction
import InputLimits

/// What of a space a datastore indexes besides page bodies (issue #16), and whether its chunks
/// are embedded for hybrid search (issue #15). Every field has a default, so a configuration
/// stored before these existed decodes to the defaults.
public struct ContentSelection: Sendable, Equatable, Codable {
    /// Attachment formats indexed; empty: no attachments (`attachments = none`).
    public var attachmentFormats: Set<DocumentFormat>
    /// Attachments larger than this are recorded as skipped (`too_large`), never downloaded.
    public var maxAttachmentBytes: Int
    /// Text of one attachment beyond this many characters is cut.
    public var maxAttachmentCharacters: Int
    /// Blog posts of the spaces in scope are indexed as pages are (`blog_posts`, on by default).
    public var blogPosts: Bool
    /// Which comments are appended to their page's text under a "Comments" heading.
    public var comments: CommentScope
    /// Whether chunks are embedded when the daemon has an embedding endpoint (`embeddings`).
    public var embeddings: Bool

    public static let defaultAttachmentFormats = Set(DocumentFormat.allCases)

    public init(
        attachmentFormats: Set<DocumentFormat> = ContentSelection.defaultAttachmentFormats,
        maxAttachmentBytes: Int = ExtractionLimits.defaultMaxFileBytes,
        maxAttachmentCharacters: Int = ExtractionLimits.defaultMaxCharacters, blogPosts: Bool = true,
        comments: CommentScope = .none, embeddings: Bool = true
    ) {
        self.attachmentFormats = attachmentFormats
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxAttachmentCharacters = maxAttachmentCharacters
        self.blogPosts = blogPosts
        self.comments = comments
        self.embeddings = embeddings
    }

    /// The `attachments` list as written: `none`, or format names (see ``DocumentFormat``).
    /// An empty list means the default (every format).
    public static func attachmentFormats(parsing names: [String]) throws(ConfigurationProblem) -> Set<DocumentFormat> {
        if names.isEmpty { return defaultAttachmentFormats }
        if names.map({ $0.lowercased() }) == ["none"] { return [] }
        var formats: Set<DocumentFormat> = []
        for name in names {
            guard let format = DocumentFormat(rawValue: name.lowercased()) else {
                let known = DocumentFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationProblem(
                    field: "attachments",
                    message: "“\(ConfigurationProblem.shorten(name))” is not an attachment type: use none or some of \(known)")
            }
            formats.insert(format)
        }
        return formats
    }

    /// The `attachments` list to show: `["none"]` or the format names, sorted.
    public var attachmentNames: [String] {
        attachmentFormats.isEmpty ? ["none"] : attachmentFormats.sorted().map(\.rawValue)
    }

    /// Checks the numbers against ``Limits``; the problem names the field.
    public func validate() throws(ConfigurationProblem) {
        if !Limits.attachmentBytes.contains(maxAttachmentBytes) {
            throw ConfigurationProblem(field: "max_attachment_bytes", message: "must be \(Limits.attachmentBytes.limits)")
        }
        if !Limits.attachmentCharacters.contains(maxAttachmentCharacters) {
            throw ConfigurationProblem(field: "max_attachment_chars", message: "must be \(Limits.attachmentCharacters.limits)")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case attachmentFormats, maxAttachmentBytes, maxAttachmentCharacters, blogPosts, comments, embeddings
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ContentSelection()
        attachmentFormats = try container.decodeIfPresent(Set<DocumentFormat>.self, forKey: .attachmentFormats) ?? defaults.attachmentFormats
        maxAttachmentBytes = try container.decodeIfPresent(Int.self, forKey: .maxAttachmentBytes) ?? defaults.maxAttachmentBytes
        maxAttachmentCharacters =
            try container.decodeIfPresent(Int.self, forKey: .maxAttachmentCharacters) ?? defaults.maxAttachmentCharacters
        blogPosts = try container.decodeIfPresent(Bool.self, forKey: .blogPosts) ?? defaults.blogPosts
        comments = try container.decodeIfPresent(CommentScope.self, forKey: .comments) ?? defaults.comments
        embeddings = try container.decodeIfPresent(Bool.self, forKey: .embeddings) ?? defaults.embeddings
    }
}

/// Which comments of an indexed page join its text (`comments = none | footer | all`).
public enum CommentScope: String, Sendable, Equatable, Codable, CaseIterable {
    case none
    /// Footer (page) comments.
    case footer
    /// Footer and inline comments.
    case all
}
