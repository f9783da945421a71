import Foundation

/// A page's lifecycle state. Open-ended: unknown values from newer servers are kept verbatim.
public struct PageStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let current = PageStatus(rawValue: "current")
    public static let archived = PageStatus(rawValue: "archived")
    public static let draft = PageStatus(rawValue: "draft")
    public static let trashed = PageStatus(rawValue: "trashed")
    public static let deleted = PageStatus(rawValue: "deleted")
    public static let historical = PageStatus(rawValue: "historical")

    public var description: String { rawValue }
}

/// A space, as resolved from its key.
public struct Space: Sendable, Equatable, Codable {
    /// Numeric id as a string (v2 returns strings, v1 numbers).
    public var id: String
    public var key: String
    public var name: String
    /// global, personal, collaboration, knowledge_base.
    public var type: String?
    /// current or archived.
    public var status: String?
    public var homepageId: String?
    /// Relative web link, e.g. "/spaces/ENG".
    public var webui: String?

    public init(id: String, key: String, name: String, type: String? = nil, status: String? = nil,
                homepageId: String? = nil, webui: String? = nil) {
        self.id = id
        self.key = key
        self.name = name
        self.type = type
        self.status = status
        self.homepageId = homepageId
        self.webui = webui
    }
}

/// A piece of content's id and labels, from ``ConfluenceClient/labelledContent(cql:)``.
public struct LabelledContent: Sendable, Hashable {
    public var id: String
    /// All its labels; nil (unknown) when the server sent only part of them.
    public var labels: [Label]?

    public init(id: String, labels: [Label]?) {
        self.id = id
        self.labels = labels
    }
}

/// A label on a page.
public struct Label: Sendable, Hashable, Codable {
    public var id: String?
    public var name: String
    /// global, my, team or system.
    public var prefix: String?

    public init(id: String? = nil, name: String, prefix: String? = nil) {
        self.id = id
        self.name = name
        self.prefix = prefix
    }

    /// The label as Confluence shows it and CQL's `label` field takes it: the bare name for a
    /// global label (the kind people add), `my:name` or `team:name` for the other prefixes;
    /// nil for `system` labels, which Confluence keeps for itself.
    public var displayName: String? {
        switch prefix?.lowercased() {
        case nil, "", "global": name
        case "system": nil
        case let other?: other + ":" + name
        }
    }
}

/// A page's metadata, and its storage-format body when it was asked for.
public struct Page: Sendable, Equatable, Identifiable, Codable {
    public var id: String
    public var title: String
    public var status: PageStatus
    public var spaceId: String?
    /// Nil for a page at the root of its space (or when the API did not say).
    public var parentId: String?
    /// Version number; increases on every edit.
    public var version: Int
    /// When the current version was saved (the last-modified time).
    public var lastModified: Date?
    public var createdAt: Date?
    /// Present when labels were requested.
    public var labels: [Label]?
    /// Ancestor ids from the root down, when the API returned them (Data Center listings).
    public var ancestorIds: [String]?
    /// Relative web link as returned by the API; see ``ConfluenceSite/webURL(_:)``.
    public var webui: String?
    /// Storage-format XHTML fragment, present only when bodies were requested.
    public var storageBody: String?
    /// A page or a blog post (both are listed, fetched and indexed alike).
    public var contentType: ContentType = .page

    public init(
        id: String, title: String, status: PageStatus = .current, spaceId: String? = nil, parentId: String? = nil,
        version: Int = 1, lastModified: Date? = nil, createdAt: Date? = nil, labels: [Label]? = nil,
        ancestorIds: [String]? = nil, webui: String? = nil, storageBody: String? = nil, contentType: ContentType = .page
    ) {
        self.id = id
        self.title = title
        self.status = status
        self.spaceId = spaceId
        self.parentId = parentId
        self.version = version
        self.lastModified = lastModified
        self.createdAt = createdAt
        self.labels = labels
        self.ancestorIds = ancestorIds
        self.webui = webui
        self.storageBody = storageBody
        self.contentType = contentType
    }
}
