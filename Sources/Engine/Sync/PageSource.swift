import Confluence

/// Where the engine reads one datastore's Confluence content: the seam between the sync
/// workers and the network. ``ConfluencePageSource`` (the Confluence client, sharing one rate
/// governor per site) is the production implementation; engine tests use an in-memory one, so
/// lifecycle, credits, resume, deletions, failures and schedules run in process.
///
/// Errors are ``ConfluenceError``s: a page source speaks Confluence's failure vocabulary, and
/// the engine sorts them into retry, fail or abandon in one place (``SyncFailure/init(_:)``).
protocol PageSource: Sendable {
    /// Confirms the site and resolves the spaces in scope. With `spaces = *` every space is
    /// listed to the end, or this throws: a cycle never starts on a partial space listing.
    func connect() async throws(SyncFailure) -> ResolvedScope

    /// The pages of one space in listing order, batch by batch (up to 250 a batch). With
    /// `bodies`, each page carries its storage body (the single-pass listing of a first sync or
    /// a rebuild); without, metadata only (the cheap incremental listing).
    func pages(in space: Space, statuses: Set<PageStatus>, bodies: Bool) -> any PageCursor

    /// Pages by id with storage bodies; pages gone or no longer visible are absent.
    func pages(ids: [String], statuses: Set<PageStatus>) async throws(ConfluenceError) -> [Page]

    /// The current blog posts of one space, like ``pages(in:statuses:bodies:)``.
    func blogPosts(in space: Space, bodies: Bool) -> any PageCursor

    /// Blog posts by id with storage bodies; posts gone or no longer visible are absent.
    func blogPosts(ids: [String]) async throws(ConfluenceError) -> [Page]

    /// Every comment of one space, metadata only (see ``CommentSurvey``).
    func comments(inSpace space: Space) -> any CommentCursor

    /// The comments of one page or blog post at these locations, with bodies, replies included.
    func comments(of contentId: String, locations: Set<CommentLocation>) async throws(ConfluenceError) -> [Comment]

    /// The labels of the cycle's pages (see ``LabelSurvey``), without a request per page.
    func labelSurvey(spaces: [Space], configuration: DatastoreConfiguration) async throws(SyncFailure) -> LabelSurvey
}

/// One space listing in progress. `next()` returns nil after the last batch.
protocol PageCursor: AnyObject, Sendable {
    func next() async throws(ConfluenceError) -> [Page]?
}

/// One space's comment listing in progress. `next()` returns nil after the last batch.
protocol CommentCursor: AnyObject, Sendable {
    func next() async throws(ConfluenceError) -> [Comment]?
}

/// What a connection resolved: the site (flavor, base, context path) and the spaces in scope.
struct ResolvedScope: Sendable {
    var site: ConfluenceSite
    var spaces: [Space]
}

/// Makes the page source for one job of one datastore. `site` is the site resolved by an earlier
/// connection (processing needs no discovery); `waits` receives the client's waits (throttled,
/// retrying, awaiting a slow response) and nil when it moves again, so status can say why the
/// datastore is waiting.
protocol PageSourceFactory: Sendable {
    func source(for configuration: DatastoreConfiguration, storedSecret: String?, site: ConfluenceSite?,
                waits: @escaping @Sendable (ClientWait?) -> Void) throws(SyncFailure) -> any PageSource
}
