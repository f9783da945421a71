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

    /// Every space the credentials can see (global and personal), by offset, with the same
    /// `start` correction as page listings. Archived spaces only when asked for: `status=current`
    /// otherwise, and archived entries are dropped even if a server ignores the filter.
    func spaces(includeArchived: Bool) -> ConfluencePager<Space> {
        let url = site.restV1 + "/space?limit=\(limit)&start=0" + (includeArchived ? "" : "&status=current")
        return offsetList(
            first: url, subject: .probe, id: { (item: V1Space) in item.id.value }
        ) { (item: V1Space) -> Space? in
            includeArchived || item.status != "archived" ? item.model : nil
        }
    }

    /// The cheapest request that proves this is a Data Center REST API: one space.
    func probe() async throws(ConfluenceError) {
        _ = try await transport.json(V1Array<V1Space>.self, site.restV1 + "/space?limit=1&start=0", .probe)
    }

    func spaceKey(forPageId pageId: String) async throws(ConfluenceError) -> String {
        let content = try await content(pageId, expand: "space")
        guard let key = content.space?.key else {
            throw ConfluenceError(.unexpectedResponse, "Confluence did not say which space page \(pageId) belongs to; give the space key instead.")
        }
        return key
    }

    func pages(in space: Space, statuses: Set<PageStatus>, includeLabels: Bool, bodies: Bool) -> PageBatches {
        let wanted = statuses.isEmpty ? [PageStatus.current] : Array(statuses)
        let expand = Self.listExpand + (includeLabels ? ",metadata.labels" : "") + (bodies ? ",body.storage" : "")
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

    func search(cql: String, includeBodies: Bool, includeLabels: Bool) -> PageBatches {
        let expand = Self.listExpand + ",space" + (includeBodies ? ",body.storage" : "") + (includeLabels ? ",metadata.labels" : "")
        return offsetPager(first: searchURL(cql: cql, expand: expand), subject: .search, spaceId: nil, includeLabels: includeLabels)
    }

    func labelledContent(cql: String) -> LabelledContentBatches {
        offsetList(first: searchURL(cql: cql, expand: "metadata.labels"), subject: .search,
                   id: { (item: V1Content) in item.id.value }) { (item: V1Content) in
            LabelledContent(id: item.id.value, labels: item.expandedLabels)
        }
    }

    /// The first request of a CQL search, from offset 0.
    private func searchURL(cql: String, expand: String) -> String {
        site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(limit)&start=0&expand=" + expand
    }

    private func content(_ id: String, expand: String) async throws(ConfluenceError) -> V1Content {
        let url = site.restV1 + "/content/" + queryEscape(id) + "?expand=" + expand
        return try await transport.json(V1Content.self, url, .page(id: id)).0
    }

    /// Offset paging that trusts the server's `next` link for *whether* there is more, but
    /// takes `start` from the results actually returned: servers cap `limit` silently and
    /// then advance `start` by the requested limit, which would skip records.
    func offsetPager(first: String, subject: Subject, spaceId: String?, includeLabels: Bool) -> PageBatches {
        offsetList(first: first, subject: subject, id: { (item: V1Content) in item.id.value }) { (item: V1Content) -> Page? in
            item.model(spaceId: spaceId, includeLabels: includeLabels)
        }
    }

    /// The offset pager over any v1 list; `map` returning nil drops an item (after paging
    /// decisions, which count every record the server returned).
    func offsetList<Wire: Decodable & Sendable, Item: Sendable>(
        first: String, subject: Subject, id: @escaping @Sendable (Wire) -> String,
        map: @escaping @Sendable (Wire) -> Item?
    ) -> ConfluencePager<Item> {
        let transport = self.transport
        let site = self.site
        return ConfluencePager(first: .init(url: first, start: 0)) { cursor throws(ConfluenceError) in
            let (array, _) = try await transport.json(V1Array<Wire>.self, cursor.url, subject)
            let ids = array.results.map(id)
            // A server bug (CONFSERVER-95312) can repeat the previous batch's last record.
            let fresh = array.results.filter { !cursor.previousIds.contains(id($0)) }
            let items = fresh.compactMap(map)
            guard let next = array._links?.next, !fresh.isEmpty else { return (items, nil) }
            let start = (cursor.start ?? array.start ?? 0) + array.results.count
            let nextURL = NextLink.settingStart(try NextLink.v1(next, base: array._links?.base, site: site), to: start)
            return (items, .init(url: nextURL, start: start, previousIds: Set(ids)))
        }
    }
}
