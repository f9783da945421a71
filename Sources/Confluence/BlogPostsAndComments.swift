import Foundation

/// What a piece of listed content is: both kinds are listed, fetched and indexed alike.
public enum ContentType: String, Sendable, Hashable, Codable {
    case page
    /// A blog post (Cloud v2 `/blogposts`, Data Center `type=blogpost`).
    case blogPost = "blogpost"
}

/// Where a comment sits on its page.
public enum CommentLocation: String, Sendable, Hashable, Codable {
    /// Under the page (a page comment).
    case footer
    /// On highlighted text of the page.
    case inline
}

/// A footer or inline comment (or a reply to one) on a page or blog post.
public struct Comment: Sendable, Equatable {
    public var id: String
    /// The page or blog post the comment belongs to.
    public var containerId: String
    /// Increases on every edit of the comment.
    public var version: Int
    public var location: CommentLocation
    /// Storage-format XHTML, present only when bodies were requested.
    public var storageBody: String?

    public init(id: String, containerId: String, version: Int = 1, location: CommentLocation = .footer, storageBody: String? = nil) {
        self.id = id
        self.containerId = containerId
        self.version = version
        self.location = location
        self.storageBody = storageBody
    }
}

/// Batches of comments, from ``ConfluenceClient/comments(inSpace:)``.
public typealias CommentBatches = ConfluencePager<Comment>

/// A v1 comment (`/content/{id}/child/comment`, CQL `type=comment`).
struct V1Comment: Decodable, Sendable {
    struct Container: Decodable, Sendable { var id: FlexibleID }
    struct Extensions: Decodable, Sendable { var location: String? }

    var id: FlexibleID
    var version: V1Content.Version?
    var container: Container?
    var extensions: Extensions?
    var body: V1Content.Body?

    func model(containerId fallback: String?) -> Comment? {
        guard let container = container?.id.value ?? fallback else { return nil }
        return Comment(id: id.value, containerId: container, version: version?.number ?? 1,
                       location: extensions?.location == CommentLocation.inline.rawValue ? .inline : .footer,
                       storageBody: body?.storage?.value)
    }
}

extension ConfluenceClient {
    // MARK: Blog posts

    /// Every current blog post of a space, in batches of up to ``Options/pageLimit``: Cloud v2
    /// `GET /spaces/{id}/blogposts` (cursor links), Data Center v1 `GET /rest/api/content?type=blogpost`
    /// (offsets). With `bodies`, each carries its storage body, as page listings do.
    public func blogPosts(in space: Space, bodies: Bool = false) -> PageBatches {
        switch site.flavor {
        case .cloud:
            let url = site.restV2 + "/spaces/" + queryEscape(space.id) + "/blogposts?limit=\(options.pageLimit)&status=current"
                + (bodies ? "&body-format=storage" : "")
            return CloudAPI(transport).v2Pager(first: url, subject: .pages(spaceKey: space.key)) { (item: V2Page) in
                var post = item.model()
                post.contentType = .blogPost
                return post
            }
        case .dataCenter:
            let url = site.restV1 + "/content?spaceKey=" + queryEscape(space.key) + "&type=blogpost&status=current"
                + "&limit=\(options.pageLimit)&start=0&expand=version,ancestors,history,metadata.labels" + (bodies ? ",body.storage" : "")
            return DataCenterAPI(transport).offsetPager(first: url, subject: .pages(spaceKey: space.key), spaceId: space.id, includeLabels: true)
        }
    }

    /// Blog posts by id **with storage bodies**; posts gone or no longer visible are absent.
    /// Cloud v2 `GET /blogposts?id=…` (up to ``Options/idsPerRequest`` ids a request); Data
    /// Center's CQL `id in (…)` finds any content type, so it is the page fetch.
    public func blogPosts(ids: [String]) async throws(ConfluenceError) -> [Page] {
        guard !ids.isEmpty else { return [] }
        switch site.flavor {
        case .dataCenter:
            return try await DataCenterAPI(transport).pages(ids: ids)
        case .cloud:
            let per = options.idsPerRequest
            let chunks = stride(from: 0, to: ids.count, by: per).map { Array(ids[$0..<min($0 + per, ids.count)]) }
            let site = self.site
            let api = CloudAPI(transport)
            let found = try await gather(chunks) { chunk throws(ConfluenceError) in
                let url = site.restV2 + "/blogposts?id=" + chunk.map(queryEscape).joined(separator: ",")
                    + "&body-format=storage&status=current&limit=\(max(chunk.count, 1))"
                return try await api.v2Pager(first: url, subject: .search) { (item: V2Page) in
                    var post = item.model()
                    post.contentType = .blogPost
                    return post
                }.collect()
            }
            return found.flatMap { $0 }
        }
    }

    // MARK: Comments

    /// Every comment of a space, metadata only (id, version, container, location), through the
    /// v1 CQL search `type=comment and space="KEY"` on both flavors: ⌈comments / limit⌉ requests.
    /// Cloud v2 has no per-space comment listing.
    public func comments(inSpace space: Space) -> CommentBatches {
        let cql = "type=comment and space=\"" + space.key.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"") + "\""
        let expand = "version,container,extensions.location"
        switch site.flavor {
        case .dataCenter:
            let url = site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(options.pageLimit)&start=0&expand=" + expand
            return DataCenterAPI(transport).offsetList(first: url, subject: .search, id: { (item: V1Comment) in item.id.value }) {
                (item: V1Comment) -> Comment? in item.model(containerId: nil)
            }
        case .cloud:
            let url = site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(options.pageLimit)&expand=" + expand
            let transport = self.transport
            let site = self.site
            return CommentBatches(first: .init(url: url)) { cursor throws(ConfluenceError) in
                let (array, _) = try await transport.json(V1Array<V1Comment>.self, cursor.url, .search)
                let comments = array.results.compactMap { $0.model(containerId: nil) }
                guard let next = array._links?.next, !array.results.isEmpty else { return (comments, nil) }
                let nextURL = try NextLink.v1(next, base: array._links?.base, site: site)
                return (comments, nextURL == cursor.url ? nil : .init(url: nextURL))
            }
        }
    }

    /// The comments of one page or blog post with their storage bodies, replies included, in
    /// thread order: v1 `GET /content/{id}/child/comment?depth=all&location=…` on both flavors.
    /// One request per 250 comments; Cloud v2's `/pages/{id}/footer-comments` returns root
    /// comments only, so replies would cost a request per thread there.
    public func comments(of contentId: String, locations: Set<CommentLocation>) async throws(ConfluenceError) -> [Comment] {
        guard !locations.isEmpty else { return [] }
        let url = site.restV1 + "/content/" + queryEscape(contentId) + "/child/comment?depth=all"
            + locations.map(\.rawValue).sorted().map { "&location=" + $0 }.joined()
            + "&limit=\(options.pageLimit)&start=0&expand=body.storage,version,extensions.location"
        let comments = try await DataCenterAPI(transport).offsetList(
            first: url, subject: .page(id: contentId), id: { (item: V1Comment) in item.id.value }
        ) { (item: V1Comment) -> Comment? in
            var comment = item.model(containerId: contentId)
            comment?.containerId = contentId  // a reply's container may be its parent comment
            return comment
        }.collect()
        // A server that ignores `location` must not add inline comments to a footer-only datastore.
        return comments.filter { locations.contains($0.location) }
    }
}
