import Confluence
import Foundation
import Synchronization
@testable import Engine

/// Confluence in memory, as the engine's ``PageSourceFactory``: spaces and pages a test edits
/// between cycles, and failures it injects (transient, permanent, 429-like, a vanished space).
/// Every datastore reads the same content; a datastore's scope is its URL's space (or its
/// `spaces` list, or every space for `*`).
public final class InMemoryConfluence: Sendable {
    /// Where a failure strikes.
    public enum Operation: String, Sendable, CaseIterable {
        /// Resolving the site and the spaces in scope.
        case connect
        /// One batch of a space's page listing.
        case list
        /// Fetching pages by id with bodies.
        case fetch
        /// One batch of a space's comment listing (the cycle's comment survey).
        case listComments
        /// Fetching one page's comments with bodies.
        case fetchComments
    }

    /// A failure to inject.
    public enum Failure: Sendable {
        /// Worth retrying (a 503): the engine retries with back-off.
        case transient
        /// A wrong token: the datastore fails.
        case permanent
        /// HTTP 429: retried like a transient failure.
        case rateLimited
        /// The space is gone (404 on its listing).
        case spaceNotFound
        /// The page is gone (404 on a request about it).
        case pageNotFound

        var error: ConfluenceError {
            switch self {
            case .transient: ConfluenceError(.unavailable, "HTTP 503 from the in-memory site")
            case .permanent: ConfluenceError(.badCredentials, "the in-memory site refused the credentials (HTTP 401)")
            case .rateLimited: ConfluenceError(.rateLimited, "HTTP 429 from the in-memory site", status: 429)
            case .spaceNotFound: ConfluenceError(.spaceNotFound, "the space is gone (HTTP 404)", status: 404)
            case .pageNotFound: ConfluenceError(.pageNotFound, "the page is gone (HTTP 404)", status: 404)
            }
        }
    }

    private struct State {
        var spaces: [String: Space] = [:]
        var pages: [String: [String: Page]] = [:]
        /// Comments by id.
        var comments: [String: Comment] = [:]
        var failures: [Operation: [Failure]] = [:]
        var requests: [Operation: Int] = [:]
    }
    private let state = Mutex(State())
    /// The site every datastore resolves to.
    public let site = ConfluenceSite(flavor: .cloud, host: "example.atlassian.net", contextPath: "/wiki")
    /// Pages per listing batch.
    public let batchSize: Int

    public init(batchSize: Int = 250) { self.batchSize = batchSize }

    /// The URL of a space, for a datastore's configuration.
    public func url(space key: String) -> String { "https://example.atlassian.net/wiki/spaces/\(key)" }

    // MARK: Editing

    /// Adds (or keeps) a space.
    public func addSpace(_ key: String) {
        state.withLock { state in
            if state.spaces[key] == nil {
                state.spaces[key] = Space(id: "\(100 + state.spaces.count)", key: key, name: "Space \(key)")
                state.pages[key] = state.pages[key] ?? [:]
            }
        }
    }

    /// Removes a space and its pages.
    public func removeSpace(_ key: String) {
        state.withLock { state in
            state.spaces[key] = nil
            state.pages[key] = nil
        }
    }

    /// Adds or replaces a page; a replaced page's version goes up by one unless given.
    public func putPage(space: String, id: String, title: String, body: String, version: Int? = nil, status: PageStatus = .current) {
        addSpace(space)
        state.withLock { state in
            let previous = state.pages[space]?[id]?.version ?? 0
            state.pages[space, default: [:]][id] = Page(
                id: id, title: title, status: status, spaceId: state.spaces[space]?.id, version: version ?? previous + 1,
                webui: "/spaces/\(space)/pages/\(id)", storageBody: body)
        }
    }

    /// Adds or replaces a blog post (listed and fetched apart from pages, as on Cloud).
    public func putBlogPost(space: String, id: String, title: String, body: String, version: Int? = nil) {
        addSpace(space)
        state.withLock { state in
            let previous = state.pages[space]?[id]?.version ?? 0
            state.pages[space, default: [:]][id] = Page(
                id: id, title: title, spaceId: state.spaces[space]?.id, version: version ?? previous + 1,
                webui: "/spaces/\(space)/blog/\(id)", storageBody: body, contentType: .blogPost)
        }
    }

    /// Adds or replaces a comment on a page or blog post; a replaced comment's version goes up
    /// by one. The page's own version does not change, as in Confluence.
    public func putComment(on containerId: String, id: String, body: String, location: CommentLocation = .footer) {
        state.withLock { state in
            let version = (state.comments[id]?.version ?? 0) + 1
            state.comments[id] = Comment(id: id, containerId: containerId, version: version, location: location, storageBody: body)
        }
    }

    /// Deletes a comment.
    public func deleteComment(id: String) {
        _ = state.withLock { $0.comments.removeValue(forKey: id) }
    }

    /// Adds `count` pages `P1…` with a paragraph each.
    public func addPages(space: String, count: Int, prefix: String = "P", words: Int = 20) {
        for number in 1...max(count, 1) where count > 0 {
            let text = (0..<words).map { "word\(($0 + number) % 50)" }.joined(separator: " ")
            putPage(space: space, id: "\(prefix)\(number)", title: "Page \(prefix)\(number)", body: "<p>\(text)</p>")
        }
    }

    /// Deletes a page.
    public func deletePage(space: String, id: String) {
        _ = state.withLock { $0.pages[space]?.removeValue(forKey: id) }
    }

    /// The next `times` calls of `operation` fail with `failure`.
    public func fail(_ operation: Operation, with failure: Failure, times: Int = 1) {
        state.withLock { $0.failures[operation, default: []] += Array(repeating: failure, count: times) }
    }

    /// Calls made of `operation` so far (failed ones included).
    public func requests(_ operation: Operation) -> Int {
        state.withLock { $0.requests[operation] ?? 0 }
    }

    // MARK: Serving

    func take(_ operation: Operation) -> ConfluenceError? {
        state.withLock { state in
            state.requests[operation, default: 0] += 1
            guard var queued = state.failures[operation], !queued.isEmpty else { return nil }
            let failure = queued.removeFirst()
            state.failures[operation] = queued
            return failure.error
        }
    }

    func scope(of configuration: DatastoreConfiguration) throws(SyncFailure) -> [Space] {
        if let error = take(.connect) { throw SyncFailure(error) }
        return try state.withLock { state throws(SyncFailure) -> [Space] in
            if configuration.includesAllSpaces { return state.spaces.values.sorted { $0.key < $1.key } }
            var keys = configuration.spaces
            if keys.isEmpty, let range = configuration.url.range(of: "/spaces/") {
                keys = [String(configuration.url[range.upperBound...].prefix { $0 != "/" })]
            }
            return try keys.map { key throws(SyncFailure) -> Space in
                guard let space = state.spaces[key] else {
                    throw .permanent(FailureReason(kind: .spaceNotFound, message: "no space \(key) on the in-memory site"))
                }
                return space
            }
        }
    }

    func listing(of space: Space, statuses: Set<PageStatus>, bodies: Bool, type: ContentType = .page) -> [Page]? {
        state.withLock { state in
            guard let pages = state.pages[space.key] else { return nil }
            return pages.values.filter { statuses.contains($0.status) && $0.contentType == type }.sorted { $0.id < $1.id }.map { page in
                var page = page
                if !bodies { page.storageBody = nil }
                return page
            }
        }
    }

    func fetch(ids: [String], statuses: Set<PageStatus>, type: ContentType = .page) throws(ConfluenceError) -> [Page] {
        if let error = take(.fetch) { throw error }
        let wanted = Set(ids)
        return state.withLock { state in
            state.pages.values.flatMap(\.values).filter { wanted.contains($0.id) && statuses.contains($0.status) && $0.contentType == type }
        }
    }

    /// The comments (metadata) of the pages and posts of a space, by id.
    func commentListing(of space: Space) throws(ConfluenceError) -> [Comment] {
        if let error = take(.listComments) { throw error }
        return state.withLock { state in
            let ids = Set(state.pages[space.key]?.keys.map { $0 } ?? [])
            return state.comments.values.filter { ids.contains($0.containerId) }.sorted { $0.id < $1.id }.map { comment in
                var comment = comment
                comment.storageBody = nil
                return comment
            }
        }
    }

    func comments(of containerId: String, locations: Set<CommentLocation>) throws(ConfluenceError) -> [Comment] {
        if let error = take(.fetchComments) { throw error }
        return try state.withLock { state throws(ConfluenceError) in
            guard state.pages.values.contains(where: { $0[containerId] != nil }) else {
                throw InMemoryConfluence.Failure.pageNotFound.error
            }
            return state.comments.values.filter { $0.containerId == containerId && locations.contains($0.location) }.sorted { $0.id < $1.id }
        }
    }
}

extension InMemoryConfluence: PageSourceFactory {
    public func source(for configuration: DatastoreConfiguration, storedSecret: String?, site: ConfluenceSite?,
                waits: @escaping @Sendable (ClientWait?) -> Void) throws(SyncFailure) -> any PageSource {
        InMemoryPageSource(confluence: self, configuration: configuration)
    }
}

/// One job's view of an ``InMemoryConfluence``.
struct InMemoryPageSource: PageSource {
    let confluence: InMemoryConfluence
    let configuration: DatastoreConfiguration

    func connect() async throws(SyncFailure) -> ResolvedScope {
        ResolvedScope(site: confluence.site, spaces: try confluence.scope(of: configuration))
    }

    func pages(in space: Space, statuses: Set<PageStatus>, bodies: Bool) -> any PageCursor {
        InMemoryCursor(confluence: confluence, space: space, statuses: statuses, bodies: bodies)
    }

    func pages(ids: [String], statuses: Set<PageStatus>) async throws(ConfluenceError) -> [Page] {
        try confluence.fetch(ids: ids, statuses: statuses)
    }

    func blogPosts(in space: Space, bodies: Bool) -> any PageCursor {
        InMemoryCursor(confluence: confluence, space: space, statuses: [.current], bodies: bodies, type: .blogPost)
    }

    func blogPosts(ids: [String]) async throws(ConfluenceError) -> [Page] {
        try confluence.fetch(ids: ids, statuses: [.current], type: .blogPost)
    }

    func comments(inSpace space: Space) -> any CommentCursor {
        InMemoryCommentCursor(confluence: confluence, space: space)
    }

    func comments(of contentId: String, locations: Set<CommentLocation>) async throws(ConfluenceError) -> [Comment] {
        try confluence.comments(of: contentId, locations: locations)
    }

    func labelSurvey(spaces: [Space], configuration: DatastoreConfiguration) async throws(SyncFailure) -> LabelSurvey {
        // Labels stay unknown: label behaviour is tested against the fake Confluence.
        LabelSurvey()
    }
}

/// A space listing in batches; the listing is taken at its first batch.
final class InMemoryCursor: PageCursor {
    private struct Position {
        var pages: [Page]?
        var offset = 0
    }
    private let confluence: InMemoryConfluence
    private let space: Space
    private let statuses: Set<PageStatus>
    private let bodies: Bool
    private let type: ContentType
    private let position = Mutex(Position())

    init(confluence: InMemoryConfluence, space: Space, statuses: Set<PageStatus>, bodies: Bool, type: ContentType = .page) {
        self.confluence = confluence
        self.space = space
        self.statuses = statuses
        self.bodies = bodies
        self.type = type
    }

    func next() async throws(ConfluenceError) -> [Page]? {
        if let error = confluence.take(.list) { throw error }
        let listing = confluence.listing(of: space, statuses: statuses, bodies: bodies, type: type)
        let batchSize = confluence.batchSize
        return try position.withLock { position throws(ConfluenceError) -> [Page]? in
            if position.pages == nil {
                guard let listing else { throw InMemoryConfluence.Failure.spaceNotFound.error }
                position.pages = listing
            }
            let pages = position.pages ?? []
            guard position.offset < pages.count else { return nil }
            let end = min(position.offset + batchSize, pages.count)
            defer { position.offset = end }
            return Array(pages[position.offset..<end])
        }
    }
}

/// A space's comment listing in one batch.
final class InMemoryCommentCursor: CommentCursor {
    private let confluence: InMemoryConfluence
    private let space: Space
    private let done = Mutex(false)

    init(confluence: InMemoryConfluence, space: Space) {
        self.confluence = confluence
        self.space = space
    }

    func next() async throws(ConfluenceError) -> [Comment]? {
        if done.withLock({ $0 }) { return nil }
        let comments = try confluence.commentListing(of: space)
        done.withLock { $0 = true }
        return comments
    }
}
