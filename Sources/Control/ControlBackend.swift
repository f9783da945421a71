/// The daemon-side contract the control socket serves. `tributaryd` implements it over the
/// engine; tests implement it with fakes. Every type here is what travels on the wire
/// (`io.tributary.Datastores`), so field names are the Varlink/JSON names.
///
/// Methods are called concurrently from many connections; implementations must be safe to call
/// from any task and must never block a thread for long (no network I/O in mutations: they record
/// intent and let the engine act).
public protocol ControlBackend: Sendable {
    func createDatastore(_ spec: DatastoreSpec, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus
    func updateDatastore(name: String, changes: DatastoreChanges, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus
    func deleteDatastore(name: String, by caller: ControlCaller) async throws(ControlError)
    func listDatastores() async throws(ControlError) -> [DatastoreStatus]
    func datastore(name: String) async throws(ControlError) -> DatastoreStatus
    /// The datastore's configuration as stored, with the secret left out (never readable).
    func datastoreSpec(name: String) async throws(ControlError) -> DatastoreSpec
    func resync(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus
    func pause(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus
    func resume(name: String, by caller: ControlCaller) async throws(ControlError) -> DatastoreStatus
    /// The current status first, then one element per change or progress tick, until the
    /// consumer stops iterating or the datastore is deleted (then the stream finishes).
    func watch(name: String) async throws(ControlError) -> AsyncStream<DatastoreStatus>
    /// The best passages for a query over one, several or all datastores, merged by score.
    func search(_ request: SearchRequest) async throws(ControlError) -> [SearchHit]
    /// A page's Markdown from the index, whole, one section, or a part from an offset.
    func page(_ request: PageRequest) async throws(ControlError) -> PageContent
    /// Answers a question from the best passages, with citations. `onDelta` receives the answer
    /// text as it is generated (not at all for an extractive answer, whose text is only final).
    func ask(_ request: AskRequest, onDelta: @escaping @Sendable (String) -> Void) async throws(ControlError) -> AskAnswer
    func explain(name: String, pageId: String) async throws(ControlError) -> PageExplanation
    func credits(recentEntries: Int) async throws(ControlError) -> CreditsReport
    func addCredits(millicredits: Int64, note: String?, by caller: ControlCaller) async throws(ControlError) -> CreditsReport
    func setCreditPolicy(_ change: CreditPolicyChange, by caller: ControlCaller) async throws(ControlError) -> CreditsReport
    func health() async -> HealthReport
    /// Creates a key for the MCP HTTP endpoint; the key is returned this once and stored hashed.
    func createMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) -> MCPKeyCreated
    func listMCPKeys() async throws(ControlError) -> [MCPKeyInfo]
    func revokeMCPKey(label: String, by caller: ControlCaller) async throws(ControlError)
}

/// Who called, from SO_PEERCRED; the backend logs it with every mutation.
public struct ControlCaller: Sendable, Equatable, Codable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }
}

/// Errors a backend reports; each maps to one typed Varlink error of `io.tributary.Datastores`.
public enum ControlError: Error, Sendable, Equatable {
    case noSuchDatastore(name: String)
    case datastoreExists(name: String)
    case noSuchPage(datastore: String, pageId: String)
    /// ReadPage: the page has no section with this anchor.
    case noSuchSection(datastore: String, pageId: String, anchor: String)
    /// RevokeMcpKey: no key has this label.
    case noSuchKey(label: String)
    /// CreateMcpKey: a key with this label exists.
    case keyExists(label: String)
    case invalidParameter(parameter: String, message: String)
    case authenticationFailed(message: String)
    case insufficientCredits(neededMillicredits: Int64, balanceMillicredits: Int64)
    case permissionDenied(message: String)
    case notReady(message: String)
    case internalError(message: String)
}

/// What a client supplies to create a datastore. `token` is write-only: read methods return
/// the spec with `token` nil and `hasToken` telling whether one is stored.
public struct DatastoreSpec: Sendable, Codable, Equatable {
    public var name: String
    /// A Confluence space URL (`https://x.atlassian.net/wiki/spaces/KEY`) or a site URL.
    public var url: String
    /// "api_token" (Cloud: email + token) or "pat" (Data Center personal access token).
    public var auth: String
    public var email: String?
    public var token: String?
    public var tokenFile: String?
    public var hasToken: Bool?
    /// Space keys; empty means the space in `url` (which must then name one); `["*"]` means
    /// every space the account can see, listed again at every sync.
    public var spaces: [String]
    /// Page ids whose trees are the scope; empty means whole spaces.
    public var rootPageIds: [String]
    public var includeTitles: [String]
    public var excludeTitles: [String]
    public var excludeLabels: [String]
    public var includeArchived: Bool
    public var resyncIntervalSeconds: Int?
    public var rateLimit: Double?
    /// Where the definition came from: "socket" or the path of a `datastores.d` file.
    public var origin: String?
    /// What besides page bodies is indexed (nil fields: the defaults; see ``ContentOptions``).
    public var content: ContentOptions

    public init(
        name: String, url: String, auth: String = "api_token", email: String? = nil, token: String? = nil,
        tokenFile: String? = nil, hasToken: Bool? = nil, spaces: [String] = [], rootPageIds: [String] = [],
        includeTitles: [String] = [], excludeTitles: [String] = [], excludeLabels: [String] = [],
        includeArchived: Bool = false, resyncIntervalSeconds: Int? = nil, rateLimit: Double? = nil,
        origin: String? = nil, content: ContentOptions = ContentOptions()
    ) {
        self.name = name
        self.url = url
        self.auth = auth
        self.email = email
        self.token = token
        self.tokenFile = tokenFile
        self.hasToken = hasToken
        self.spaces = spaces
        self.rootPageIds = rootPageIds
        self.includeTitles = includeTitles
        self.excludeTitles = excludeTitles
        self.excludeLabels = excludeLabels
        self.includeArchived = includeArchived
        self.resyncIntervalSeconds = resyncIntervalSeconds
        self.rateLimit = rateLimit
        self.origin = origin
        self.content = content
    }
}

/// Attachments, blog posts, comments and embeddings of a datastore. In a create or a listing
/// every field is given or nil for its default; in an update nil leaves it as it is.
public struct ContentOptions: Sendable, Codable, Equatable {
    /// Attachment types to index (`pdf`, `docx`, `pptx`, `xlsx`, `odt`, `ods`, `odp`, `txt`, `md`,
    /// `csv`, `json`, `xml`, `html`), or `["none"]`; nil or empty: every type.
    public var attachments: [String]?
    /// Largest attachment downloaded, in bytes (default 25 MiB).
    public var maxAttachmentBytes: Int?
    /// Most characters of text kept from one attachment (default 500,000).
    public var maxAttachmentChars: Int?
    /// Blog posts indexed as pages (default true).
    public var blogPosts: Bool?
    /// "none" (default), "footer" or "all" (footer and inline comments).
    public var comments: String?
    /// Chunks embedded for hybrid search when the daemon has an embedding endpoint (default true).
    public var embeddings: Bool?

    public init(
        attachments: [String]? = nil, maxAttachmentBytes: Int? = nil, maxAttachmentChars: Int? = nil,
        blogPosts: Bool? = nil, comments: String? = nil, embeddings: Bool? = nil
    ) {
        self.attachments = attachments
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxAttachmentChars = maxAttachmentChars
        self.blogPosts = blogPosts
        self.comments = comments
        self.embeddings = embeddings
    }

    /// True when no field is set.
    public var isEmpty: Bool { self == ContentOptions() }
}

/// A partial update: nil fields stay as they are.
public struct DatastoreChanges: Sendable, Codable, Equatable {
    public var url: String?
    public var auth: String?
    public var email: String?
    public var token: String?
    public var tokenFile: String?
    public var spaces: [String]?
    public var rootPageIds: [String]?
    public var includeTitles: [String]?
    public var excludeTitles: [String]?
    public var excludeLabels: [String]?
    public var includeArchived: Bool?
    public var resyncIntervalSeconds: Int?
    public var rateLimit: Double?
    /// See ``ContentOptions`` (flat here, as on the wire).
    public var attachments: [String]?
    public var maxAttachmentBytes: Int?
    public var maxAttachmentChars: Int?
    public var blogPosts: Bool?
    public var comments: String?
    public var embeddings: Bool?
    public init() {}

    /// The content fields of this change (nil: unchanged).
    public var content: ContentOptions {
        ContentOptions(
            attachments: attachments, maxAttachmentBytes: maxAttachmentBytes, maxAttachmentChars: maxAttachmentChars,
            blogPosts: blogPosts, comments: comments, embeddings: embeddings)
    }
}

public struct PageCounts: Sendable, Codable, Equatable {
    public var discovered: Int
    public var indexed: Int
    public var skipped: Int
    public var failed: Int
    /// Discovered pages still waiting for processing in this cycle.
    public var pending: Int
    public init(discovered: Int = 0, indexed: Int = 0, skipped: Int = 0, failed: Int = 0, pending: Int = 0) {
        self.discovered = discovered
        self.indexed = indexed
        self.skipped = skipped
        self.failed = failed
        self.pending = pending
    }
}

public struct ProgressReport: Sendable, Codable, Equatable {
    /// Pages handled in the current phase of this cycle, out of `total`.
    public var done: Int
    public var total: Int
    public var pagesPerSecond: Double
    public var etaSeconds: Double?
    public init(done: Int, total: Int, pagesPerSecond: Double, etaSeconds: Double?) {
        self.done = done
        self.total = total
        self.pagesPerSecond = pagesPerSecond
        self.etaSeconds = etaSeconds
    }
}

/// A datastore as `status`, `list` and `watch` show it.
public struct DatastoreStatus: Sendable, Codable, Equatable {
    public var name: String
    /// "syncing_metadata", "processing", "ready", "paused" or "failed".
    public var state: String
    /// Machine-readable reason for paused/failed (e.g. "insufficient_credits", "authentication").
    public var reason: String?
    /// A sentence a person can act on.
    public var message: String?
    /// ISO 8601 UTC time the state was entered.
    public var since: String
    public var url: String
    public var pages: PageCounts
    /// Skipped pages by reason ("excluded_by_title", "excluded_by_label", "archived", "empty", ...).
    public var skippedByReason: [String: Int]
    public var progress: ProgressReport?
    /// True once the datastore has content to search, in every state.
    public var searchable: Bool
    /// True while pages failed in the last cycle (they are retried next cycle).
    public var partiallySynced: Bool
    public var lastSyncCompleted: String?
    public var nextSync: String?
    /// Credits the pending processing is estimated to need.
    public var estimatedMillicredits: Int64?
    /// Macros that were not rendered, by name, with page counts.
    public var unrenderedMacros: [String: Int]
    public var origin: String?
    /// While a sync runs: what it waits for (throttled, retrying, a slow response), if anything.
    public var waiting: WaitStatus?
    /// Attachments of the indexed pages; nil when the datastore indexes none.
    public var attachments: AttachmentStatus?
    /// Chunk embeddings for hybrid search; nil when the datastore is not embedded.
    public var embeddings: EmbeddingStatus?

    public init(
        name: String, state: String, reason: String? = nil, message: String? = nil, since: String, url: String,
        pages: PageCounts = PageCounts(), skippedByReason: [String: Int] = [:], progress: ProgressReport? = nil,
        searchable: Bool = false, partiallySynced: Bool = false, lastSyncCompleted: String? = nil,
        nextSync: String? = nil, estimatedMillicredits: Int64? = nil, unrenderedMacros: [String: Int] = [:],
        origin: String? = nil, waiting: WaitStatus? = nil, attachments: AttachmentStatus? = nil,
        embeddings: EmbeddingStatus? = nil
    ) {
        self.name = name
        self.state = state
        self.reason = reason
        self.message = message
        self.since = since
        self.url = url
        self.pages = pages
        self.skippedByReason = skippedByReason
        self.progress = progress
        self.searchable = searchable
        self.partiallySynced = partiallySynced
        self.lastSyncCompleted = lastSyncCompleted
        self.nextSync = nextSync
        self.estimatedMillicredits = estimatedMillicredits
        self.unrenderedMacros = unrenderedMacros
        self.origin = origin
        self.waiting = waiting
        self.attachments = attachments
        self.embeddings = embeddings
    }
}

/// Attachment counts of a datastore, beside its page counts.
public struct AttachmentStatus: Sendable, Codable, Equatable {
    public var discovered: Int
    public var indexed: Int
    /// Recorded but not indexed, by reason ("too_large", "type_not_indexed", "encrypted", …).
    public var skippedByReason: [String: Int]
    /// Extraction or download failed (retried next cycle).
    public var failed: Int
    /// Known files (counted above as last seen) whose page this sync cycle has not reconciled
    /// yet: each may still be downloaded and extracted. 0 when the datastore is at rest.
    public var pending: Int

    public init(discovered: Int = 0, indexed: Int = 0, skippedByReason: [String: Int] = [:], failed: Int = 0, pending: Int = 0) {
        self.discovered = discovered
        self.indexed = indexed
        self.skippedByReason = skippedByReason
        self.failed = failed
        self.pending = pending
    }

    /// Every skipped attachment, whatever the reason.
    public var skipped: Int { skippedByReason.values.reduce(0, +) }
}

/// How far a datastore's chunk embeddings are: search is hybrid over the embedded chunks.
public struct EmbeddingStatus: Sendable, Codable, Equatable {
    /// The embedding model the vectors come from.
    public var model: String
    public var dimensions: Int?
    public var embedded: Int
    public var pending: Int
    /// Why embedding stopped (the endpoint's failure, credits), when it did.
    public var reason: String?

    public init(model: String, dimensions: Int? = nil, embedded: Int, pending: Int, reason: String? = nil) {
        self.model = model
        self.dimensions = dimensions
        self.embedded = embedded
        self.pending = pending
        self.reason = reason
    }
}

/// The attachment a search hit or citation comes from; the hit's page fields are its parent page.
public struct AttachmentCitation: Sendable, Codable, Equatable {
    /// The Confluence attachment id.
    public var id: String
    /// Its file name.
    public var title: String
    /// The download URL, with `#page=N` when the passage is on PDF page N.
    public var url: String
    public var mediaType: String?
    /// The PDF page of the passage.
    public var pageNumber: Int?

    public init(id: String, title: String, url: String, mediaType: String? = nil, pageNumber: Int? = nil) {
        self.id = id
        self.title = title
        self.url = url
        self.mediaType = mediaType
        self.pageNumber = pageNumber
    }
}

/// An attachment of a page as `explain` shows it.
public struct AttachmentExplanation: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    /// "indexed", "pending", "skipped" or "failed".
    public var disposition: String
    /// The reason code ("too_large", "encrypted", "timed_out", …) and sentence, when not indexed.
    public var reason: String?
    public var message: String?
    public var version: Int?
    public var chunks: Int

    public init(
        id: String, title: String, disposition: String, reason: String? = nil, message: String? = nil, version: Int? = nil,
        chunks: Int = 0
    ) {
        self.id = id
        self.title = title
        self.disposition = disposition
        self.reason = reason
        self.message = message
        self.version = version
        self.chunks = chunks
    }
}

/// One search result, citing `url` (the page URL with `#anchor` when the passage has one).
public struct SearchHit: Sendable, Codable, Equatable {
    public var pageId: String
    public var title: String
    public var url: String
    public var anchor: String?
    public var headingPath: [String]
    public var score: Double
    /// The best window of the passage with matched terms marked «like this».
    public var snippet: String
    /// The whole passage as Markdown, under its heading path.
    public var text: String?
    /// The datastore the passage comes from.
    public var datastore: String?
    /// The page's space key and labels.
    public var space: String?
    public var labels: [String]?
    /// ISO 8601 UTC time and number of the indexed version.
    public var lastModified: String?
    public var version: Int?
    /// "page" (nil means page too), "blogpost" or "attachment".
    public var contentType: String?
    /// For a passage of an attachment: the attachment (the fields above are its parent page).
    public var attachment: AttachmentCitation?

    public init(
        pageId: String, title: String, url: String, anchor: String?, headingPath: [String], score: Double, snippet: String,
        text: String? = nil, datastore: String? = nil, space: String? = nil, labels: [String]? = nil,
        lastModified: String? = nil, version: Int? = nil, contentType: String? = nil, attachment: AttachmentCitation? = nil
    ) {
        self.pageId = pageId
        self.title = title
        self.url = url
        self.anchor = anchor
        self.headingPath = headingPath
        self.score = score
        self.snippet = snippet
        self.text = text
        self.datastore = datastore
        self.space = space
        self.labels = labels
        self.lastModified = lastModified
        self.version = version
        self.contentType = contentType
        self.attachment = attachment
    }
}

/// Why a page is or is not in the index.
public struct PageExplanation: Sendable, Codable, Equatable {
    public var pageId: String
    public var title: String?
    /// "indexed", "pending", "skipped", "failed", "deleted" or "unknown".
    public var disposition: String
    public var reason: String?
    public var versionSeen: Int?
    public var versionIndexed: Int?
    public var chunks: Int
    public var url: String?
    public var unrenderedMacros: [String]
    public var lastProcessed: String?
    /// The page's attachments, each with its disposition and reason.
    public var attachments: [AttachmentExplanation]
    public init(
        pageId: String, title: String?, disposition: String, reason: String?, versionSeen: Int?, versionIndexed: Int?,
        chunks: Int, url: String?, unrenderedMacros: [String], lastProcessed: String?, attachments: [AttachmentExplanation] = []
    ) {
        self.pageId = pageId
        self.title = title
        self.disposition = disposition
        self.reason = reason
        self.versionSeen = versionSeen
        self.versionIndexed = versionIndexed
        self.chunks = chunks
        self.url = url
        self.unrenderedMacros = unrenderedMacros
        self.lastProcessed = lastProcessed
        self.attachments = attachments
    }
}

public struct LedgerLine: Sendable, Codable, Equatable {
    public var sequence: Int64
    public var time: String
    /// "opening_balance", "top_up", "auto_top_off", "charge".
    public var kind: String
    public var millicredits: Int64
    public var balanceAfter: Int64
    public var datastore: String?
    public var pageId: String?
    public var pageVersion: Int?
    public var note: String?
    public init(
        sequence: Int64, time: String, kind: String, millicredits: Int64, balanceAfter: Int64, datastore: String?,
        pageId: String?, pageVersion: Int?, note: String?
    ) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.millicredits = millicredits
        self.balanceAfter = balanceAfter
        self.datastore = datastore
        self.pageId = pageId
        self.pageVersion = pageVersion
        self.note = note
    }
}

public struct AutoTopOff: Sendable, Codable, Equatable {
    public var enabled: Bool
    public var amountMillicredits: Int64
    public var thresholdMillicredits: Int64
    public var monthlyCapMillicredits: Int64
    public var usedThisMonthMillicredits: Int64
    public init(enabled: Bool, amountMillicredits: Int64, thresholdMillicredits: Int64, monthlyCapMillicredits: Int64, usedThisMonthMillicredits: Int64) {
        self.enabled = enabled
        self.amountMillicredits = amountMillicredits
        self.thresholdMillicredits = thresholdMillicredits
        self.monthlyCapMillicredits = monthlyCapMillicredits
        self.usedThisMonthMillicredits = usedThisMonthMillicredits
    }
}

public struct CreditsReport: Sendable, Codable, Equatable {
    public var balanceMillicredits: Int64
    /// False on a fresh daemon: spending is metered but no limit applies until credits are added.
    public var enforced: Bool
    public var millicreditsPerThousandTokens: Int64
    public var spentMillicredits: Int64
    public var autoTopOff: AutoTopOff
    public var recent: [LedgerLine]
    public init(
        balanceMillicredits: Int64, enforced: Bool, millicreditsPerThousandTokens: Int64, spentMillicredits: Int64,
        autoTopOff: AutoTopOff, recent: [LedgerLine]
    ) {
        self.balanceMillicredits = balanceMillicredits
        self.enforced = enforced
        self.millicreditsPerThousandTokens = millicreditsPerThousandTokens
        self.spentMillicredits = spentMillicredits
        self.autoTopOff = autoTopOff
        self.recent = recent
    }
}

/// nil fields stay as they are.
public struct CreditPolicyChange: Sendable, Codable, Equatable {
    public var autoTopOffEnabled: Bool?
    public var autoTopOffAmountMillicredits: Int64?
    public var autoTopOffThresholdMillicredits: Int64?
    public var autoTopOffMonthlyCapMillicredits: Int64?
    public var millicreditsPerThousandTokens: Int64?
    public init() {}
}

public struct HealthReport: Sendable, Codable, Equatable {
    /// "ok", "degraded" (e.g. a datastore failed, the heartbeat is late) or "stalled".
    public var status: String
    public var version: String
    public var uptimeSeconds: Double
    public var datastoresByState: [String: Int]
    public var engineHeartbeatAgeSeconds: Double
    public var storeUsedBytes: Int64
    public var storeMapBytes: Int64
    public var problems: [String]
    public init(
        status: String, version: String, uptimeSeconds: Double, datastoresByState: [String: Int],
        engineHeartbeatAgeSeconds: Double, storeUsedBytes: Int64, storeMapBytes: Int64, problems: [String]
    ) {
        self.status = status
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.datastoresByState = datastoresByState
        self.engineHeartbeatAgeSeconds = engineHeartbeatAgeSeconds
        self.storeUsedBytes = storeUsedBytes
        self.storeMapBytes = storeMapBytes
        self.problems = problems
    }
}
