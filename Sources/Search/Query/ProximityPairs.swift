/// The proximity bonus of an unquoted multi-word query (``SearchQuery/pairs``): each pair of
/// neighbouring query words found within `window` tokens of each other in a chunk adds
/// `boost × the smaller idf of the two`. Words far apart in a long chunk are probably about
/// different things; next to each other they are likely the thing asked for.
struct ProximityPairs {
    private struct Pair {
        var first: Int32
        var second: Int32
        var weight: Double
    }

    private let pairs: [Pair]
    private let window: Int

    /// Pairs whose words both have postings; ids are vocabulary ids of `tokenizer`.
    init(_ pairs: [[String]], lists: [PostingList], tokenizer: Tokenizer, boost: Double, window: Int) {
        self.pairs = pairs.compactMap { pair in
            guard pair.count == 2, let first = lists.first(where: { $0.term == pair[0] }),
                  let second = lists.first(where: { $0.term == pair[1] })
            else { return nil }
            return Pair(first: tokenizer.termID(ofStem: pair[0]), second: tokenizer.termID(ofStem: pair[1]),
                        weight: boost * min(first.idf, second.idf))
        }
        self.window = window
    }

    var isEmpty: Bool { pairs.isEmpty }

    /// The bonus for a chunk whose fields (body, title, headings) hold `fields` terms in
    /// order: a pair counts once, in whichever field it is near.
    func bonus(_ fields: [ArraySlice<TermOccurrence>]) -> Double {
        guard !pairs.isEmpty else { return 0 }
        var found = [Bool](repeating: false, count: pairs.count)
        for field in fields { mark(field, &found) }
        return zip(pairs, found).reduce(0) { $0 + ($1.1 ? $1.0.weight : 0) }
    }

    private func mark(_ occurrences: ArraySlice<TermOccurrence>, _ found: inout [Bool]) {
        // Where each query word was seen last while walking the text: a pair is near when
        // one word comes within `window` tokens after the other, in either order.
        var last: [Int32: Int] = [:]
        for (position, occurrence) in occurrences.enumerated() {
            let id = occurrence.id
            var involved = false
            for (index, pair) in pairs.enumerated() where !found[index] && (pair.first == id || pair.second == id) {
                involved = true
                let other = pair.first == id ? pair.second : pair.first
                if let seen = last[other], position - seen <= window { found[index] = true }
            }
            if involved { last[id] = position }
        }
    }
}
