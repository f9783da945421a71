import Foundation
import HTTP

/// Confluence Data Center / Server: REST v1 with offset paging, under the context path.
struct DataCenterAPI: Sendable {
    let transport: Transport
    init(_ transport: Transport) { self.transport = transport }

    private var site: ConfluenceSite { transport.site }
    private var limit: Int { transport.options.pageLimit }
    private static let listExpand = "version,ancestors,history"

    func space(key: String) async throws(ConfluenceError) -> Space {
        let (space, _) = try await transport.json(V1Space.self, site.restV1 + "/space/" + queryEscape(key), .space(key: key))
        return space.model
    }

    func spaceKey(forPageId pageId: String) async throws(ConfluenceError) -> String {
        let content = try await content(pageId, expand: "space")
        guard let key = content.space?.key else {
            throw ConfluenceError(.unexpectedResponse, "Confluence did not say which space page \(pageId) belongs to; give the space key instead.")
        }
        return key
    }

    func pages(in space: Space, statuses: Set<PageStatus>, includeLabels: Bool) -> PageBatches {
        let wanted = statuses.isEmpty ? [PageStatus.current] : Array(statuses)
        let expand = Self.listExpand + (includeLabels ? ",metadata.labels" : "")
        let url = site.restV1 + "/content?spaceKey=" + queryEscape(space.key) + "&type=page"
            + wanted.map(\.rawValue).sorted().map { "&status=" + $0 }.joined()
            + "&limit=\(limit)&start=0&expand=" + expand
        return offsetPager(first: url, subject: .pages(spaceKey: space.key), spaceId: space.id, includeLabels: includeLabels)
    }

    /// Bodies by id through CQL `id in (…)`; ids the search index has not caught up with yet
    /// (or archived pages, which search skips) are fetched one by one.
    func pages(ids: [String]) async throws(ConfluenceError) -> [Page] {
        let expand = Self.listExpand + ",space,body.storage"
        let chunks = stride(from: 0, to: ids.count, by: 100).map { Array(ids[$0..<min($0 + 100, ids.count)]) }
        let site = self.site
        let api = self
        // 100 ids keep the URL short; chunks run concurrently under the governor.
        let searched = try await gather(chunks) { chunk throws(ConfluenceError) in
            let cql = "id in (" + chunk.joined(separator: ",") + ")"
            let url = site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(chunk.count)&start=0&expand=" + expand
            return try await api.offsetPager(first: url, subject: .search, spaceId: nil, includeLabels: false).collect()
        }
        var found: [String: Page] = [:]
        for page in searched.joined() { found[page.id] = page }
        let missing = ids.filter { found[$0] == nil }
        let fetched = try await gather(missing) { id throws(ConfluenceError) -> Page? in
            do throws(ConfluenceError) {
                return try await api.content(id, expand: expand).model(spaceId: nil, includeLabels: false)
            } catch where error.kind == .pageNotFound {
                return nil  // deleted or restricted since it was listed
            }
        }
        for page in fetched.compactMap({ $0 }) { found[page.id] = page }
        return ids.compactMap { found[$0] }
    }

    func labels(pageId: String) async throws(ConfluenceError) -> [Label] {
        try await content(pageId, expand: "metadata.labels").model(spaceId: nil, includeLabels: true).labels ?? []
    }

    func ancestors(pageId: String) async throws(ConfluenceError) -> [String] {
        try await content(pageId, expand: "ancestors").ancestors?.map(\.id.value) ?? []
    }

    func search(cql: String, includeBodies: Bool) -> PageBatches {
        let expand = Self.listExpand + ",space" + (includeBodies ? ",body.storage" : "")
        let url = site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(limit)&start=0&expand=" + expand
        return offsetPager(first: url, subject: .search, spaceId: nil, includeLabels: false)
    }

    private func content(_ id: String, expand: String) async throws(ConfluenceError) -> V1Content {
        let url = site.restV1 + "/content/" + queryEscape(id) + "?expand=" + expand
        return try await transport.json(V1Content.self, url, .page(id: id)).0
    }

    /// Offset paging that trusts the server's `next` link for *whether* there is more, but
    /// takes `start` from the results actually returned: servers cap `limit` silently and
    /// then advance `start` by the requested limit, which would skip records.
    private func offsetPager(first: String, subject: Subject, spaceId: String?, includeLabels: Bool) -> PageBatches {
        let transport = self.transport
        let site = self.site
        return PageBatches(first: .init(url: first, start: 0)) { cursor throws(ConfluenceError) in
            let (array, _) = try await transport.json(V1ContentArray.self, cursor.url, subject)
            let ids = array.results.map(\.id.value)
            // A server bug (CONFSERVER-95312) can repeat the previous batch's last record.
            let fresh = array.results.filter { !cursor.previousIds.contains($0.id.value) }
            let pages = fresh.map { $0.model(spaceId: spaceId, includeLabels: includeLabels) }
            guard let next = array._links?.next, !fresh.isEmpty else { return (pages, nil) }
            let start = (cursor.start ?? array.start ?? 0) + array.results.count
            let nextURL = NextLink.settingStart(try NextLink.v1(next, base: array._links?.base, site: site), to: start)
            return (pages, .init(url: nextURL, start: start, previousIds: Set(ids)))
        }
    }
}
