/// A search's page filter, asked once per page: a search meets many chunks of one page, and the
/// filter may read the page's metadata. Without a filter every page passes.
struct PageVerdicts {
    private let filter: PagePredicate?
    private var known: [String: Bool] = [:]

    init(_ filter: PagePredicate?) {
        self.filter = filter
    }

    /// Whether the filter accepts `pageID` (its first answer for that page, remembered).
    mutating func accepts(_ pageID: String) throws(SearchError) -> Bool {
        guard let filter else { return true }
        if let verdict = known[pageID] { return verdict }
        let verdict = try storageCall { try filter(pageID) }
        known[pageID] = verdict
        return verdict
    }
}
