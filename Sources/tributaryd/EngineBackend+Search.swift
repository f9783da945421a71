import Control
import Engine
import Search

/// Passages and pages for people and assistants.
extension EngineBackend {
    func search(_ request: SearchRequest) async throws(ControlError) -> [SearchHit] {
        var filters = SearchFilters(spaces: request.spaces, labels: request.labels)
        if let date = request.modifiedAfter {
            guard let millis = ISODateTime.parse(date) else {
                throw .invalidParameter(parameter: "modifiedAfter",
                                        message: "'\(date)' is not an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)")
            }
            filters.modifiedAfter = millis
        }
        let hits = try await map {
            try await engine.search(datastores: request.datastores, query: request.query, limit: request.limit, filters: filters,
                                    lexical: request.lexical)
        }
        return hits.map(Self.searchHit)
    }

    func page(_ request: PageRequest) async throws(ControlError) -> PageContent {
        // Checked here too: other front ends (MCP) call the backend without the Varlink checks.
        guard request.offset >= 0 else { throw .invalidParameter(parameter: "offset", message: "must not be negative") }
        if let maxChars = request.maxChars, maxChars < 1 {
            throw .invalidParameter(parameter: "maxChars", message: "must be at least 1")
        }
        let page = try await map { try engine.page(datastore: request.datastore, page: request.page) }
        let markdown = page.text.markdown
        // The text asked for, as a range of Unicode scalars of the whole page.
        var whole = 0..<markdown.unicodeScalars.count
        var url = page.url
        var section: String?
        if let anchor = request.section {
            // The exact anchor, else the one anchor that differs only in case (people type them).
            let folded = page.text.outline.filter { $0.anchor.lowercased() == anchor.lowercased() }
            guard let heading = page.text.outline.first(where: { $0.anchor == anchor }) ?? (folded.count == 1 ? folded.first : nil)
            else {
                throw .noSuchSection(datastore: page.datastore, pageId: page.pageId, anchor: anchor)
            }
            whole = whole.clamped(to: heading.offset..<(heading.offset + heading.length))
            section = heading.anchor
            if !url.isEmpty { url += "#" + heading.anchor }
        }
        guard request.offset <= whole.count else {
            throw .invalidParameter(parameter: "offset", message: "\(request.offset) is past the end of the text (\(whole.count) characters)")
        }
        let start = whole.lowerBound + request.offset
        let end = start + min(request.maxChars ?? .max, whole.upperBound - start)
        return PageContent(
            datastore: page.datastore, pageId: page.pageId, title: page.title, url: url, space: page.space,
            labels: page.labels, version: page.version, lastModified: page.lastModified.map(ISODateTime.format(millis:)),
            outline: page.text.outline.map { heading in
                PageSection(anchor: heading.anchor, title: heading.title, level: heading.level, offset: heading.offset,
                            length: heading.length)
            },
            section: section, text: Self.scalars(of: markdown, in: start..<end), offset: request.offset,
            totalChars: whole.count, nextOffset: end < whole.upperBound ? end - whole.lowerBound : nil)
    }

    static func searchHit(_ hit: EngineSearchHit) -> SearchHit {
        SearchHit(
            pageId: hit.result.pageID, title: hit.result.title, url: hit.url,
            anchor: hit.result.anchor.isEmpty ? nil : hit.result.anchor, headingPath: hit.result.headingPath,
            score: (hit.result.score * 1_000).rounded() / 1_000, snippet: hit.result.snippet, text: hit.passage,
            datastore: hit.datastore, space: hit.space, labels: hit.labels,
            lastModified: hit.lastModified.map(ISODateTime.format(millis:)), version: hit.version, contentType: hit.contentType)
            .citingAttachment(hit.attachment)
    }

    /// The Unicode scalars of `text` in `range` (a part may end inside a grapheme cluster: the
    /// parts of a page still join up to exactly its text).
    static func scalars(of text: String, in range: Range<Int>) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.index(scalars.startIndex, offsetBy: range.lowerBound, limitedBy: scalars.endIndex),
              let end = scalars.index(start, offsetBy: range.count, limitedBy: scalars.endIndex)
        else { return "" }
        return String(scalars[start..<end])
    }
}
