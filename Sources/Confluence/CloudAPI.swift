import Foundation
import HTTP

/// Confluence Cloud: REST v2 for spaces and pages, v1 for CQL search.
struct CloudAPI: Sendable {
    let transport: Transport
    init(_ transport: Transport) { self.transport = transport }

    private var site: ConfluenceSite { transport.site }
    private var limit: Int { transport.options.pageLimit }

    /// v2 has no `/spaces/{key}`: resolve through the `keys` filter. An empty answer means
    /// missing or invisible; a 404 means this is not a v2 API at all.
    func space(key: String) async throws(ConfluenceError) -> Space {
        let url = site.restV2 + "/spaces?keys=" + queryEscape(key) + "&limit=250"
        let (list, _) = try await transport.json(V2List<V2Space>.self, url, .probe)
        guard let found = list.results.first(where: { $0.key == key })
            ?? list.results.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame }) else {
            throw transport.classifier.spaceNotFound(key: key)
        }
        return found.model
    }

    /// Every space the credentials can see, `limit` per request, in id order (v2's default
    /// sort, which a cursor keeps stable while spaces are created). Every type (global,
    /// personal, collaboration, knowledge_base); archived spaces only when asked for (the
    /// `status` filter takes one value, so "both" means no filter).
    func spaces(includeArchived: Bool) -> ConfluencePager<Space> {
        let url = site.restV2 + "/spaces?limit=\(limit)" + (includeArchived ? "" : "&status=current")
        return v2Pager(first: url, subject: .probe) { (item: V2Space) -> Space? in
            includeArchived || item.status != "archived" ? item.model : nil
        }
    }

    /// The cheapest request that proves this is a v2 API and the credentials work: one space.
    func probe() async throws(ConfluenceError) {
        _ = try await transport.json(V2List<V2Space>.self, site.restV2 + "/spaces?limit=1", .probe)
    }

    func spaceKey(forPageId pageId: String) async throws(ConfluenceError) -> String {
        let (page, _) = try await transport.json(V2Page.self, site.restV2 + "/pages/" + queryEscape(pageId), .page(id: pageId))
        guard let spaceId = page.spaceId?.value else {
            throw ConfluenceError(.unexpectedResponse, "Confluence did not say which space page \(pageId) belongs to; give the space key instead.")
        }
        let (space, _) = try await transport.json(V2Space.self, site.restV2 + "/spaces/" + queryEscape(spaceId), .spaceId(spaceId))
        return space.key
    }

    func pages(in space: Space, statuses: Set<PageStatus>, bodies: Bool) -> PageBatches {
        // The listing endpoint accepts only these statuses; its default is current + archived.
        let allowed: Set<PageStatus> = [.current, .archived, .deleted, .trashed]
        let wanted = statuses.intersection(allowed).isEmpty ? [.current] : statuses.intersection(allowed)
        let url = site.restV2 + "/spaces/" + queryEscape(space.id) + "/pages?limit=\(limit)"
            + wanted.map(\.rawValue).sorted().map { "&status=" + $0 }.joined()
            + (bodies ? "&body-format=storage" : "")
        return v2Pager(first: url, subject: .pages(spaceKey: space.key)) { (item: V2Page) in item.model() }
    }

    func pages(ids: [String], statuses: Set<PageStatus>) async throws(ConfluenceError) -> [Page] {
        let allowed: Set<PageStatus> = [.current, .archived, .deleted, .trashed]
        let wanted = statuses.intersection(allowed).isEmpty ? [.current] : statuses.intersection(allowed)
        let statusQuery = wanted.map(\.rawValue).sorted().map { "&status=" + $0 }.joined()
        let chunks = stride(from: 0, to: ids.count, by: transport.options.idsPerRequest).map {
            Array(ids[$0..<min($0 + transport.options.idsPerRequest, ids.count)])
        }
        // Chunks go out together; the governor decides how many actually run at once.
        let site = self.site
        let perChunk = try await gather(chunks) { chunk throws(ConfluenceError) in
            let url = site.restV2 + "/pages?id=" + chunk.map(queryEscape).joined(separator: ",")
                + "&body-format=storage&limit=\(max(chunk.count, 1))" + statusQuery
            return try await v2Pager(first: url, subject: .search) { (item: V2Page) in item.model() }.collect()
        }
        let order = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return perChunk.flatMap { $0 }.sorted { (order[$0.id] ?? .max) < (order[$1.id] ?? .max) }
    }

    func labels(pageId: String) async throws(ConfluenceError) -> [Label] {
        let url = site.restV2 + "/pages/" + queryEscape(pageId) + "/labels?limit=\(limit)"
        return try await v2Pager(first: url, subject: .page(id: pageId)) { (item: V2Label) in
            Label(id: item.id?.value, name: item.name, prefix: item.prefix)
        }.collect()
    }

    /// The labels on the content of a space (`/spaces/{id}/content/labels`), each once, as
    /// opposed to `/spaces/{id}/labels`, the labels of the space itself.
    func contentLabels(in space: Space) -> LabelBatches {
        let url = site.restV2 + "/spaces/" + queryEscape(space.id) + "/content/labels?limit=\(limit)"
        return v2Pager(first: url, subject: .pages(spaceKey: space.key)) { (item: V2Label) in
            Label(id: item.id?.value, name: item.name, prefix: item.prefix)
        }
    }

    /// Ancestors come root first, at most `limit` per call; when a call is full, the rest
    /// sit above its first entry, so ask again from there.
    func ancestors(pageId: String) async throws(ConfluenceError) -> [String] {
        var chain: [String] = []
        var from = pageId
        while true {
            let url = site.restV2 + "/pages/" + queryEscape(from) + "/ancestors?limit=\(limit)"
            let (list, _) = try await transport.json(V2List<V2Ancestor>.self, url, .page(id: pageId))
            let ids = list.results.map(\.id.value)
            chain = ids + chain
            guard ids.count >= limit, let top = ids.first, top != from else { return chain }
            from = top
        }
    }

    /// v1 CQL search with cursor `next` links (relative to `_links.base`).
    func search(cql: String, includeBodies: Bool, includeLabels: Bool) -> PageBatches {
        let expand = "version,space,history,ancestors" + (includeBodies ? ",body.storage" : "")
            + (includeLabels ? ",metadata.labels" : "")
        return v1Search(cql: cql, expand: expand) { $0.model(spaceId: nil, includeLabels: includeLabels) }
    }

    /// v1 CQL search expanding only `metadata.labels`: each result's id and labels.
    func labelledContent(cql: String) -> LabelledContentBatches {
        v1Search(cql: cql, expand: "metadata.labels") { LabelledContent(id: $0.id.value, labels: $0.expandedLabels) }
    }

    private func v1Search<Item: Sendable>(
        cql: String, expand: String, map: @escaping @Sendable (V1Content) -> Item
    ) -> ConfluencePager<Item> {
        let url = site.restV1 + "/content/search?cql=" + queryEscape(cql) + "&limit=\(limit)&expand=" + expand
        let transport = self.transport
        let site = self.site
        return ConfluencePager(first: .init(url: url)) { cursor throws(ConfluenceError) in
            let (array, _) = try await transport.json(V1ContentArray.self, cursor.url, .search)
            let items = array.results.map(map)
            guard let next = array._links?.next, !array.results.isEmpty else { return (items, nil) }
            let nextURL = try NextLink.v1(next, base: array._links?.base, site: site)
            return (items, nextURL == cursor.url ? nil : .init(url: nextURL))
        }
    }

    /// A pager over a v2 list: follows `_links.next` (or the `Link` header) from the origin.
    /// `map` returning nil drops an item after decoding (the server's filter is trusted for
    /// paging, not for scope), as in the Data Center offset pager.
    func v2Pager<Wire: Decodable & Sendable, Item: Sendable>(
        first: String, subject: Subject, map: @escaping @Sendable (Wire) -> Item?
    ) -> ConfluencePager<Item> {
        let transport = self.transport
        let site = self.site
        return ConfluencePager(first: .init(url: first)) { cursor throws(ConfluenceError) in
            let (list, response) = try await transport.json(V2List<Wire>.self, cursor.url, subject)
            let items = list.results.compactMap(map)
            guard let next = list._links?.next ?? NextLink.fromLinkHeader(response.headers) else { return (items, nil) }
            let nextURL = try NextLink.v2(next, site: site)
            guard nextURL != cursor.url, !list.results.isEmpty else {
                throw ConfluenceError(
                    .unexpectedResponse,
                    "Confluence returned a pagination link that does not advance (\(URLRedaction.redact(nextURL))). "
                        + "Please report this with the server version.")
            }
            return (items, .init(url: nextURL))
        }
    }
}
