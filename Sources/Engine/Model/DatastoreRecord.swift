import Confluence

/// A datastore as persisted in the `datastores` table: configuration, state and the progress of
/// its current cycle. Page counts live in the `datastore_counts` table, updated in the same
/// transactions as the manifest so they can never drift from it.
public struct DatastoreRecord: Sendable, Equatable, Codable {
    public var id: UInt64
    public var configuration: DatastoreConfiguration
    public var state: DatastoreState
    /// When `state` was entered, in milliseconds since the Unix epoch.
    public var stateSince: Int64
    /// Increments at the start of each metadata sync; manifest entries remember the cycle that last saw them.
    public var cycle: UInt64
    /// The state to return to when a person resumes a user pause.
    public var stateBeforePause: DatastoreState?
    /// Progress of the current phase.
    public var phaseTotal: Int
    public var phaseDone: Int
    public var phaseStartedAt: Int64
    public var lastSyncCompleted: Int64?
    public var nextSync: Int64?
    /// The last transient problem (e.g. retrying after a network error), cleared on success.
    public var lastError: String?
    /// Millicredits the pending pages are expected to cost.
    public var estimatedMillicredits: Int64?
    /// Resolved at the first successful connection: the site's kind and base, for page URLs.
    public var siteBaseURL: String?
    /// The site as resolved by the last connection (flavor and context path), so processing
    /// needs no discovery requests.
    public var site: ConfluenceSite?
    public var createdAt: Int64
    /// When labels were last surveyed after a cycle reached ready (ms since 1970; see
    /// `LabelRefresh`); nil: never. Only for datastores whose cycles do not survey labels.
    public var labelsRefreshedAt: Int64?

    public init(id: UInt64, configuration: DatastoreConfiguration, now: Int64) {
        self.id = id
        self.configuration = configuration
        state = .syncingMetadata
        stateSince = now
        cycle = 0
        phaseTotal = 0
        phaseDone = 0
        phaseStartedAt = now
        createdAt = now
    }
}

/// What happened to a page in the index, with the reason for anything but `indexed`.
public enum PageDisposition: String, Sendable, Equatable, Codable, CaseIterable {
    case pending
    case indexed
    case skipped
    case failed
    /// No longer in Confluence (or out of scope after a completed listing): removed from the index.
    case deleted
}

/// One page of a datastore as last seen in Confluence and as indexed.
public struct ManifestEntry: Sendable, Equatable, Codable {
    public var pageId: String
    public var title: String
    public var spaceKey: String
    public var parentId: String?
    public var status: String
    /// The version the last listing saw.
    public var versionSeen: Int
    /// The version whose content is in the index (nil: none).
    public var versionIndexed: Int?
    public var disposition: PageDisposition
    /// Why the page is skipped or failed (e.g. "excluded_by_label:template", "too_large").
    public var reason: String?
    /// The cycle whose listing last saw the page.
    public var seenInCycle: UInt64
    /// Web path (`_links.webui`), for citations.
    public var webui: String?
    public var chunks: Int
    public var tokens: Int
    /// The page's labels (names), as the last sync saw them; nil where not known yet.
    public var labels: [String]?
    /// When the seen version was made (milliseconds since 1970), as Confluence said.
    public var lastModified: Int64?
    public var unrenderedMacros: [String]
    public var lastProcessed: Int64?
    /// Failed attempts at processing the seen version.
    public var failures: Int
    /// "blogpost" for a blog post; nil for a page.
    public var contentType: String?
    /// Digest of the page's comments in scope as the last comment survey saw them (nil: none),
    /// and of those its indexed text carries: they differ when a comment was added, edited or
    /// removed, or the `comments` setting changed (see ``CommentSurvey``).
    public var commentsSeen: String?
    public var commentsIndexed: String?

    /// Forgets what the index held of the page, as its chunks leave the index.
    mutating func forgetIndexedContent() {
        versionIndexed = nil
        chunks = 0
        unrenderedMacros = []
        commentsIndexed = nil
    }

    public init(pageId: String, title: String, spaceKey: String, parentId: String?, status: String, versionSeen: Int,
                seenInCycle: UInt64, webui: String?) {
        self.pageId = pageId
        self.title = title
        self.spaceKey = spaceKey
        self.parentId = parentId
        self.status = status
        self.versionSeen = versionSeen
        self.disposition = .pending
        self.seenInCycle = seenInCycle
        self.webui = webui
        chunks = 0
        tokens = 0
        unrenderedMacros = []
        failures = 0
    }
}
