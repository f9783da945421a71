import Confluence
import Logging

/// The labels of a cycle's pages, found without a request per page.
///
/// Data Center listings carry each page's labels (the `metadata.labels` expansion), so the
/// survey asks nothing there. Cloud's v2 listings carry none, so the survey lists the labels used
/// on each space's content (`GET /spaces/{id}/content/labels`, ⌈labels / 250⌉ requests a space)
/// and then one CQL search for `label in (…)` with `metadata.labels` expanded finds every labelled
/// page with all its labels (⌈labelled pages / 250⌉ requests, more only when the names or space
/// keys do not fit one query). Excluded labels always take part in that search, so it is also how
/// exclusion finds its pages: one mechanism for both.
///
/// Labels that cannot be determined stay unknown (nil), never a wrong empty list: a failed
/// listing or search leaves the pages it would have told about unknown, and only a failed search
/// for an excluded label fails the cycle (indexing an excluded page would be worse than waiting).
struct LabelSurvey: Sendable {
    /// Names (as ``Label/displayName``) by page id, for the labelled pages the search found.
    private(set) var byPage: [String: [String]] = [:]
    /// Pages the search found whose labels came back partial: unknown.
    private(set) var partial: Set<String> = []
    /// Every current page absent from `byPage` and `partial` surely carries no label.
    private(set) var complete = false
    /// Whether labels come from the listing itself (Data Center).
    private(set) var fromListing = false

    /// Label names per search query, and space keys per query, so the CQL stays a short URL.
    static let namesPerQuery = 100
    static let spacesPerQuery = 50

    /// The page's label names, or nil when they are not known this cycle.
    func labels(of page: Page) -> [String]? {
        if fromListing { return page.labels.map(Self.names) }
        if let found = byPage[page.id] { return found }
        if partial.contains(page.id) { return nil }
        // CQL search skips archived pages, so only current ones are known to be unlabelled.
        return complete && page.status == .current ? [] : nil
    }

    /// The labels of `page` that the filter excludes, lowercased (from whatever is known: an
    /// excluded label is always searched for on Cloud, so a page carrying one is in `byPage`).
    func excludedLabels(of page: Page, excluding: Set<String>) -> [String] {
        guard !excluding.isEmpty else { return [] }
        let known = fromListing ? page.labels.map(Self.names) ?? [] : byPage[page.id] ?? []
        return known.map { $0.lowercased() }.filter(excluding.contains)
    }

    static func names(_ labels: [Label]) -> [String] {
        Array(Set(labels.compactMap(\.displayName))).sorted()
    }

    /// Surveys the scope: nothing on Data Center, the listing of labels and one search on Cloud.
    static func run(client: ConfluenceClient, spaces: [Space], configuration: DatastoreConfiguration,
                    logger: Logger) async throws(SyncFailure) -> LabelSurvey {
        var survey = LabelSurvey()
        if client.site.flavor == .dataCenter {
            survey.fromListing = true
            return survey
        }
        let excluded = Set(configuration.excludeLabels.map { $0.lowercased() })
        let metadata: Logger.Metadata = ["datastore": "\(configuration.name)"]

        // The labels in use, space by space; a space that fails leaves the survey incomplete.
        var inUse: Set<String> = []
        var listedEverySpace = true
        for space in spaces {
            do throws(ConfluenceError) {
                for try await batch in client.contentLabels(in: space) {
                    inUse.formUnion(batch.compactMap(\.displayName))
                }
            } catch {
                if error.kind == .cancelled { throw .abandoned }
                listedEverySpace = false
                logger.warning("could not list the labels used in space \(space.key) of \(configuration.name); labels stay as last known this cycle: \(error.message)",
                               metadata: metadata)
            }
        }

        // One search finds every page carrying any of them, with all its labels.
        let names = inUse.union(excluded).sorted()
        guard !names.isEmpty else {
            survey.complete = listedEverySpace
            return survey
        }
        let spaceClauses = configuration.includesAllSpaces
            ? [""]
            : stride(from: 0, to: spaces.count, by: spacesPerQuery).map { start in
                let keys = spaces[start..<min(start + spacesPerQuery, spaces.count)].map { "\"\(MetadataSync.cqlEscape($0.key))\"" }
                return "space in (" + keys.joined(separator: ",") + ") and "
            }
        var searched = true
        for start in stride(from: 0, to: names.count, by: namesPerQuery) {
            let chunk = names[start..<min(start + namesPerQuery, names.count)]
            let labelClause = "label in (" + chunk.map { "\"\(MetadataSync.cqlEscape($0))\"" }.joined(separator: ",") + ")"
            for spaceClause in spaceClauses {
                do throws(ConfluenceError) {
                    for try await batch in client.labelledContent(cql: "type in (page, blogpost) and " + spaceClause + labelClause) {
                        for page in batch {
                            if let labels = page.labels {
                                survey.byPage[page.id] = Self.names(labels)
                            } else {
                                survey.partial.insert(page.id)
                            }
                        }
                    }
                } catch {
                    if error.kind == .cancelled { throw .abandoned }
                    // Without the pages of an excluded label the cycle could index them: fail it.
                    guard excluded.isEmpty else { throw SyncFailure(error) }
                    searched = false
                    logger.warning("could not search the labelled pages of \(configuration.name); labels stay as last known this cycle: \(error.message)",
                                   metadata: metadata)
                }
            }
        }
        // A page found carrying a label the listing did not name means the listing missed some.
        let missed = Set(survey.byPage.values.joined()).subtracting(inUse).subtracting(excluded)
        if !missed.isEmpty, listedEverySpace {
            let examples = missed.sorted().prefix(5).joined(separator: ", ")
            logger.warning("the label listing of \(configuration.name) missed labels found on pages (\(examples)); unlabelled pages stay as last known this cycle",
                           metadata: metadata)
        }
        survey.complete = listedEverySpace && searched && missed.isEmpty
        return survey
    }
}
