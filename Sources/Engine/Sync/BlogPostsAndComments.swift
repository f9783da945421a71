import Confluence
import Foundation
import Storage

/// The listings of one space in a metadata cycle: its pages, then its blog posts when the
/// datastore indexes them (`blog_posts`, on by default). Blog posts are manifest entries like
/// pages (``ManifestEntry/contentType`` "blogpost"), so edits, deletions and a `blog_posts =
/// false` (they are no longer listed, so the cycle removes them) work as for pages.
enum ContentListings {
    /// A cursor per listing, in order; no request is made before a cursor's first `next()`.
    static func cursors(_ source: any PageSource, spaces: [Space], statuses: Set<PageStatus>, bodies: Bool,
                        configuration: DatastoreConfiguration) -> [(Space, any PageCursor)] {
        spaces.flatMap { space -> [(Space, any PageCursor)] in
            var cursors: [(Space, any PageCursor)] = [(space, source.pages(in: space, statuses: statuses, bodies: bodies))]
            if configuration.content.blogPosts { cursors.append((space, source.blogPosts(in: space, bodies: bodies))) }
            return cursors
        }
    }

    /// The manifest's content type of a listed page or post.
    static func manifestType(_ page: Page) -> String? {
        page.contentType == .blogPost ? ContentType.blogPost.rawValue : nil
    }
}

/// Which pages' comments changed, without a request per page: one comment listing per space
/// per cycle (metadata only: ⌈comments / 250⌉ requests, see
/// ``ConfluenceClient/comments(inSpace:)``), folded into a digest per page of the ids, versions
/// and locations of its comments in scope. A page whose digest differs from the one its indexed
/// text was made with (``ManifestEntry/commentsIndexed``) is processed again, which fetches its
/// comments (one request per page, ``ConfluenceClient/comments(of:locations:)``). The page's
/// version does not change when a comment is added, so the version alone cannot tell; a
/// `lastmodified` search would miss deleted comments, the digest does not.
struct CommentSurvey: Sendable {
    /// Per page: the order-independent sum of its comments' hashes and their count.
    private var sums: [String: (sum: UInt64, count: Int)] = [:]

    /// The comment locations a scope includes.
    static func locations(_ scope: CommentScope) -> Set<CommentLocation> {
        switch scope {
        case .none: []
        case .footer: [.footer]
        case .all: [.footer, .inline]
        }
    }

    /// Lists the comments of every space in scope; nil when the datastore indexes no comments.
    /// A listing that fails fails the cycle (a partial survey would drop comments from pages).
    static func run(_ source: any PageSource, spaces: [Space], scope: CommentScope) async throws(SyncFailure) -> CommentSurvey? {
        guard scope != .none else { return nil }
        var survey = CommentSurvey()
        let wanted = locations(scope)
        for space in spaces {
            let cursor = source.comments(inSpace: space)
            while true {
                if Task.isCancelled { throw .abandoned }
                let batch: [Comment]?
                do throws(ConfluenceError) {
                    batch = try await cursor.next()
                } catch {
                    throw SyncFailure(error)
                }
                guard let batch else { break }
                for comment in batch where wanted.contains(comment.location) { survey.add(comment) }
            }
        }
        return survey
    }

    mutating func add(_ comment: Comment) {
        let hash = Self.fnv1a("\(comment.location.rawValue):\(comment.id):\(comment.version)")
        let old = sums[comment.containerId] ?? (0, 0)
        sums[comment.containerId] = (old.sum &+ hash, old.count + 1)
    }

    /// The digest of a page's comments in scope; nil when it has none.
    func digest(of pageId: String) -> String? {
        guard let entry = sums[pageId] else { return nil }
        return "\(entry.count):" + String(entry.sum, radix: 16)
    }

    /// 64-bit FNV-1a: stable across runs (the digest is stored), unlike `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Fetches pages and blog posts by id with their bodies, and appends the comments of those
/// whose manifest says they have some in scope.
struct ContentFetch: Sendable {
    let source: any PageSource
    let scope: CommentScope

    /// `entries` gives each id's manifest content type and comment digest.
    func fetch(ids: [String], entries: [String: ManifestEntry], statuses: Set<PageStatus>) async throws(ConfluenceError) -> [Page] {
        let posts = ids.filter { entries[$0]?.contentType == ContentType.blogPost.rawValue }
        let postSet = Set(posts)
        var fetched = try await source.pages(ids: ids.filter { !postSet.contains($0) }, statuses: statuses)
        if !posts.isEmpty { fetched += try await source.blogPosts(ids: posts) }
        return try await withComments(fetched) { entries[$0]?.commentsSeen != nil }
    }

    /// The manifest entries of `ids`, for ``fetch(ids:entries:statuses:)``.
    static func entries(_ txn: ReadTransaction, manifest: ManifestRepository, datastore: UInt64, ids: [String]) throws -> [String: ManifestEntry] {
        var entries: [String: ManifestEntry] = [:]
        for id in ids { entries[id] = try manifest.page(txn, datastore: datastore, pageId: id) }
        return entries
    }

    /// `pages` with the comments of those `hasComments` says have some appended to their bodies,
    /// fetched concurrently (the site's rate governor paces them).
    func withComments(_ pages: [Page], hasComments: (String) -> Bool) async throws(ConfluenceError) -> [Page] {
        let locations = CommentSurvey.locations(scope)
        guard !locations.isEmpty else { return pages }
        let wanted = pages.filter { $0.storageBody != nil && hasComments($0.id) }.map(\.id)
        guard !wanted.isEmpty else { return pages }
        let source = self.source
        let fetched = await withTaskGroup(of: (String, Result<[Comment], ConfluenceError>).self) { group in
            for id in wanted {
                group.addTask {
                    do throws(ConfluenceError) {
                        return (id, .success(try await source.comments(of: id, locations: locations)))
                    } catch {
                        return (id, .failure(error))
                    }
                }
            }
            var all: [String: Result<[Comment], ConfluenceError>] = [:]
            for await (id, result) in group { all[id] = result }
            return all
        }
        var result: [Page] = []
        for var page in pages {
            switch fetched[page.id] {
            case .success(let comments)?:
                if let body = page.storageBody { page.storageBody = CommentText.append(comments, to: body) }
            case .failure(let error)? where error.kind == .pageNotFound:
                continue  // deleted since its body was read: absent, as from the fetch by id
            case .failure(let error)?:
                throw error
            case nil:
                break
            }
            result.append(page)
        }
        return result
    }
}

/// Comment text joined to its page's storage body: a "Comments" heading, then each comment's
/// body in thread order, without authors or dates, so a hit on a comment cites its page.
enum CommentText {
    static let heading = "Comments"

    static func append(_ comments: [Comment], to body: String) -> String {
        let bodies = comments.compactMap(\.storageBody).filter { !$0.isEmpty }
        guard !bodies.isEmpty else { return body }
        return body + "<h1>" + heading + "</h1>" + bodies.map { "<div>" + $0 + "</div>" }.joined()
    }
}
