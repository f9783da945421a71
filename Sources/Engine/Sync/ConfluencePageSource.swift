import Confluence
import Synchronization

/// The production ``PageSource``: the Confluence client, with one rate governor per site shared
/// by every datastore on it (``SiteAccess``).
final class ConfluencePageSource: PageSource {
    private let access: SiteAccess
    private let configuration: DatastoreConfiguration
    private let credentials: ConfluenceCredentials
    /// Receives the client's waits (throttled, retrying, awaiting a response), for status.
    private let waits: @Sendable (ClientWait?) -> Void
    /// The client of the resolved site: from an earlier connection's site, or from `connect()`.
    private let connected: Mutex<ConfluenceClient?>

    init(access: SiteAccess, configuration: DatastoreConfiguration, credentials: ConfluenceCredentials, knownSite: ConfluenceSite?,
         waits: @escaping @Sendable (ClientWait?) -> Void) {
        self.access = access
        self.configuration = configuration
        self.credentials = credentials
        self.waits = waits
        connected = Mutex(knownSite.map { access.client(site: $0, credentials: credentials, waits: waits) })
    }

    func connect() async throws(SyncFailure) -> ResolvedScope {
        let (client, spaces) = try await access.connect(configuration, credentials: credentials, waits: waits)
        connected.withLock { $0 = client }
        return ResolvedScope(site: client.site, spaces: spaces)
    }

    func pages(in space: Space, statuses: Set<PageStatus>, bodies: Bool) -> any PageCursor {
        guard let client = connected.withLock({ $0 }) else { return FailingCursor(error: Self.notConnected) }
        return PagerCursor(client.pages(in: space, statuses: statuses, includeLabels: true, bodies: bodies))
    }

    func pages(ids: [String], statuses: Set<PageStatus>) async throws(ConfluenceError) -> [Page] {
        guard let client = connected.withLock({ $0 }) else { throw Self.notConnected }
        return try await client.pages(ids: ids, statuses: statuses)
    }

    func blogPosts(in space: Space, bodies: Bool) -> any PageCursor {
        guard let client = connected.withLock({ $0 }) else { return FailingCursor(error: Self.notConnected) }
        return PagerCursor(client.blogPosts(in: space, bodies: bodies))
    }

    func blogPosts(ids: [String]) async throws(ConfluenceError) -> [Page] {
        guard let client = connected.withLock({ $0 }) else { throw Self.notConnected }
        return try await client.blogPosts(ids: ids)
    }

    func comments(inSpace space: Space) -> any CommentCursor {
        guard let client = connected.withLock({ $0 }) else { return FailingCommentCursor(error: Self.notConnected) }
        return CommentPagerCursor(client.comments(inSpace: space))
    }

    func comments(of contentId: String, locations: Set<CommentLocation>) async throws(ConfluenceError) -> [Comment] {
        guard let client = connected.withLock({ $0 }) else { throw Self.notConnected }
        return try await client.comments(of: contentId, locations: locations)
    }

    func labelSurvey(spaces: [Space], configuration: DatastoreConfiguration) async throws(SyncFailure) -> LabelSurvey {
        guard let client = connected.withLock({ $0 }) else { throw SyncFailure(Self.notConnected) }
        return try await LabelSurvey.run(client: client, spaces: spaces, configuration: configuration, logger: access.logger)
    }

    private static let notConnected = ConfluenceError(.unavailable, "the site was not resolved yet; a metadata sync runs first")
}

/// Makes ``ConfluencePageSource``s from a datastore's configuration and stored secret.
struct ConfluencePageSources: PageSourceFactory {
    let access: SiteAccess

    func source(for configuration: DatastoreConfiguration, storedSecret: String?, site: ConfluenceSite?,
                waits: @escaping @Sendable (ClientWait?) -> Void) throws(SyncFailure) -> any PageSource {
        ConfluencePageSource(access: access, configuration: configuration,
                             credentials: try access.credentials(for: configuration, storedSecret: storedSecret), knownSite: site,
                             waits: waits)
    }
}

/// A client listing as a ``PageCursor``.
final class PagerCursor: PageCursor {
    private let iterator: Mutex<PageBatches.Iterator?>

    init(_ batches: PageBatches) { iterator = Mutex(batches.makeAsyncIterator()) }

    func next() async throws(ConfluenceError) -> [Page]? {
        // The iterator is taken out while its request runs (one caller at a time, as a cursor is used).
        guard var current = iterator.withLock({ $0.take() }) else { return nil }
        let batch = try await current.next()
        iterator.withLock { $0 = current }
        return batch
    }
}

/// A cursor whose first batch is an error.
final class FailingCursor: PageCursor {
    private let error: ConfluenceError
    init(error: ConfluenceError) { self.error = error }
    func next() async throws(ConfluenceError) -> [Page]? { throw error }
}

/// A client comment listing as a ``CommentCursor``.
final class CommentPagerCursor: CommentCursor {
    private let iterator: Mutex<CommentBatches.Iterator?>

    init(_ batches: CommentBatches) { iterator = Mutex(batches.makeAsyncIterator()) }

    func next() async throws(ConfluenceError) -> [Comment]? {
        guard var current = iterator.withLock({ $0.take() }) else { return nil }
        let batch = try await current.next()
        iterator.withLock { $0 = current }
        return batch
    }
}

/// A comment cursor whose first batch is an error.
final class FailingCommentCursor: CommentCursor {
    private let error: ConfluenceError
    init(error: ConfluenceError) { self.error = error }
    func next() async throws(ConfluenceError) -> [Comment]? { throw error }
}
