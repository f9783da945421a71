/// The assistant-facing half of the control contract: passages, whole pages, answers with
/// citations and MCP keys. The same shapes serve `io.tributary.Datastores` (Varlink) and the
/// MCP tools, so `tributaryctl --json`, Varlink clients and assistants see one vocabulary.

/// What to search and where. Empty `datastores` means every datastore that has content.
public struct SearchRequest: Sendable, Codable, Equatable {
    /// Datastore names; empty: all searchable datastores, results merged by score.
    public var datastores: [String]
    public var query: String
    /// 1 to ``ControlInterface/maxSearchLimit``.
    public var limit: Int
    /// Only pages of these spaces (any of them); empty: no space filter.
    public var spaces: [String]
    /// Only pages carrying every one of these labels; empty: no label filter.
    public var labels: [String]
    /// Only pages last modified at or after this time (ISO 8601 date or date-time, UTC when no
    /// zone is given); nil: no date filter.
    public var modifiedAfter: String?
    /// Lexical (BM25) ranking only, even where the datastore has embeddings for hybrid search.
    public var lexical: Bool

    public init(
        datastores: [String] = [], query: String, limit: Int = ControlInterface.defaultSearchLimit, spaces: [String] = [],
        labels: [String] = [], modifiedAfter: String? = nil, lexical: Bool = false
    ) {
        self.datastores = datastores
        self.query = query
        self.limit = limit
        self.spaces = spaces
        self.labels = labels
        self.modifiedAfter = modifiedAfter
        self.lexical = lexical
    }
}

/// Which page to read, and which part of it.
public struct PageRequest: Sendable, Codable, Equatable {
    public var datastore: String
    /// A Confluence page id, or the page's URL (any URL the page is known by: `/pages/ID`,
    /// `?pageId=ID`, or its web URL as search results cite it, `#anchor` included).
    public var page: String
    /// A heading anchor: only that section (with its subsections).
    public var section: String?
    /// At most this many characters (Unicode scalars) of text; nil: the whole (section of the) page.
    public var maxChars: Int?
    /// Where to start, in characters from the start of the page's (or section's) text.
    public var offset: Int

    public init(datastore: String, page: String, section: String? = nil, maxChars: Int? = nil, offset: Int = 0) {
        self.datastore = datastore
        self.page = page
        self.section = section
        self.maxChars = maxChars
        self.offset = offset
    }
}

/// One heading of a page's outline.
public struct PageSection: Sendable, Codable, Equatable {
    /// The heading's anchor (`url#anchor` cites it).
    public var anchor: String
    public var title: String
    /// 1 for the page's top headings, deeper below.
    public var level: Int
    /// Where the section starts in the page's whole text, in characters.
    public var offset: Int
    /// The section's length in characters, subsections included.
    public var length: Int

    public init(anchor: String, title: String, level: Int, offset: Int, length: Int) {
        self.anchor = anchor
        self.title = title
        self.level = level
        self.offset = offset
        self.length = length
    }
}

/// A page (or a part of it) from the index, as Markdown.
public struct PageContent: Sendable, Codable, Equatable {
    public var datastore: String
    public var pageId: String
    public var title: String
    /// The page's web URL (with `#anchor` when one section was asked for).
    public var url: String
    public var space: String
    public var labels: [String]
    /// The Confluence version whose content this is.
    public var version: Int
    /// ISO 8601 UTC time of that version, when Confluence said.
    public var lastModified: String?
    /// Every heading of the page, in order, with offsets into the whole text.
    public var outline: [PageSection]
    /// The anchor of the section returned, when one was asked for.
    public var section: String?
    /// The Markdown text from `offset`, at most `maxChars` characters.
    public var text: String
    public var offset: Int
    /// Characters in the whole (section) text.
    public var totalChars: Int
    /// Where the next part starts; nil when `text` reaches the end.
    public var nextOffset: Int?

    public init(
        datastore: String, pageId: String, title: String, url: String, space: String, labels: [String], version: Int,
        lastModified: String?, outline: [PageSection], section: String?, text: String, offset: Int, totalChars: Int,
        nextOffset: Int?
    ) {
        self.datastore = datastore
        self.pageId = pageId
        self.title = title
        self.url = url
        self.space = space
        self.labels = labels
        self.version = version
        self.lastModified = lastModified
        self.outline = outline
        self.section = section
        self.text = text
        self.offset = offset
        self.totalChars = totalChars
        self.nextOffset = nextOffset
    }
}

/// A question to answer from the index.
public struct AskRequest: Sendable, Codable, Equatable {
    /// Datastore names; empty: every searchable datastore.
    public var datastores: [String]
    public var question: String
    /// Passages to retrieve and send to the model (1…20).
    public var passages: Int

    public static let defaultPassages = 6
    public static let maxPassages = 20

    public init(datastores: [String] = [], question: String, passages: Int = AskRequest.defaultPassages) {
        self.datastores = datastores
        self.question = question
        self.passages = passages
    }
}

/// One numbered source of an answer: `[n]` in the answer text names it.
public struct Citation: Sendable, Codable, Equatable {
    public var n: Int
    public var datastore: String
    public var pageId: String
    public var title: String
    /// The page URL with `#anchor` of the cited passage.
    public var url: String
    /// When the passage is from an attachment: the attachment (the fields above are its page).
    public var attachment: AttachmentCitation?

    public init(n: Int, datastore: String, pageId: String, title: String, url: String, attachment: AttachmentCitation? = nil) {
        self.n = n
        self.datastore = datastore
        self.pageId = pageId
        self.title = title
        self.url = url
        self.attachment = attachment
    }
}

/// Tokens a model reported for one answer.
public struct ModelUsage: Sendable, Codable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// An answer with its citations.
public struct AskAnswer: Sendable, Codable, Equatable {
    /// The answer text; every `[n]` in it names an entry of `citations`.
    public var answer: String
    /// Exactly the passages the answer cites, by number.
    public var citations: [Citation]
    /// "generated" (a model wrote it) or "extractive" (the best passages, each cited).
    public var mode: String
    /// Why the answer is extractive ("no model is configured", "the model answered HTTP 500", …).
    public var reason: String?
    /// The model that answered, when one did.
    public var model: String?
    public var usage: ModelUsage?
    /// Credits charged for the model's tokens.
    public var chargedMillicredits: Int64?

    public init(
        answer: String, citations: [Citation], mode: String, reason: String? = nil, model: String? = nil,
        usage: ModelUsage? = nil, chargedMillicredits: Int64? = nil
    ) {
        self.answer = answer
        self.citations = citations
        self.mode = mode
        self.reason = reason
        self.model = model
        self.usage = usage
        self.chargedMillicredits = chargedMillicredits
    }
}

/// An MCP key as listed: never the key itself.
public struct MCPKeyInfo: Sendable, Codable, Equatable {
    public var label: String
    /// ISO 8601 UTC.
    public var created: String
    public var lastUsed: String?

    public init(label: String, created: String, lastUsed: String? = nil) {
        self.label = label
        self.created = created
        self.lastUsed = lastUsed
    }
}

/// A key just created: the only time its secret is shown.
public struct MCPKeyCreated: Sendable, Codable, Equatable {
    public var label: String
    public var key: String

    public init(label: String, key: String) {
        self.label = label
        self.key = key
    }
}
