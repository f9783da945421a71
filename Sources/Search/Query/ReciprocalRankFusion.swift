/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): an item's fused score is
/// `Σ 1 / (k + rank)` over the ranked lists that hold it (rank from 1). Needs no score
/// calibration between BM25 and cosine similarity; `k = 60` is the paper's constant. A weight
/// per list makes it the weighted variant; groups make it fuse pages of chunks.
public enum ReciprocalRankFusion {
    public static let defaultK = 60.0

    /// How hybrid search fuses its lexical and dense legs: weighted RRF over pages (see
    /// ``fuse(grouped:weights:k:)``), the weights set by the query's wording. Chosen on the tuning
    /// halves of `scripts/bench retrieval`'s three sets (known-item index terms, man-page
    /// descriptions, FAQ questions): one fixed split (lexical 0.25, dense 0.75, tuned on
    /// questions alone) cut known-item MRR@10 from 0.83 to 0.57, because the dense leg is weak on
    /// names; weighting by function words kept questions where they were (0.709 → 0.701), known
    /// items at the lexical leg's level (0.831, Recall@10 0.937 → 0.947) and lifted descriptions
    /// from 0.666 (lexical) and 0.669 (dense) to 0.730. k = 5: the top of each list counts more.
    public enum Hybrid {
        public static let k = 5.0

        /// The lexical leg's weight for `query` (the dense leg's is one minus it): 0.7 for a
        /// query without function words (a name, a keyword, a term: the words themselves are
        /// the evidence), 0.5 with one (a short description, "copy files and directories"),
        /// 0.25 with more (a question in the user's own words, where meaning matters most).
        public static func lexicalWeight(for query: SearchQuery) -> Double {
            switch query.functionWords {
            case 0: 0.7
            case 1: 0.5
            default: 0.25
            }
        }

        /// The fused score of the result at `rank` (from 0) of a list that had no dense leg (a
        /// datastore without vectors searched beside hybrid ones): as if both legs agreed.
        public static func lexicalOnlyScore(rank: Int) -> Double {
            1 / (k + Double(rank + 1))
        }
    }

    /// The items of ranked lists by fused score, where items belong to groups (chunks to their
    /// pages): an item absent from a list takes the rank just behind its group's best item
    /// there, so two legs that find the same page through different chunks agree on it (fusing
    /// chunks alone cost known-item MRR@10 0.62 → 0.57 on the bench's tuning half). With every
    /// item its own group this is plain RRF. Best first; ties keep the order of first
    /// appearance (earlier list, then earlier rank). An item listed twice in one list counts
    /// once. `weights` (one a list, default 1 each) scale each list's contributions.
    public static func fuse<ID: Hashable, Group: Hashable>(
        grouped lists: [[(id: ID, group: Group)]], weights: [Double]? = nil, k: Double = defaultK
    ) -> [(id: ID, score: Double)] {
        precondition(weights == nil || weights!.count == lists.count, "one weight a list")
        let weights = weights ?? Array(repeating: 1, count: lists.count)
        var ranks: [[ID: Int]] = []
        var groupRanks: [[Group: Int]] = []
        var groups: [ID: Group] = [:]
        var order: [ID] = []
        for list in lists {
            var itemRank: [ID: Int] = [:]
            var groupRank: [Group: Int] = [:]
            for (rank, item) in list.enumerated() where itemRank[item.id] == nil {
                itemRank[item.id] = rank
                if groupRank[item.group] == nil { groupRank[item.group] = rank }
                if groups.updateValue(item.group, forKey: item.id) == nil { order.append(item.id) }
            }
            ranks.append(itemRank)
            groupRanks.append(groupRank)
        }
        var scores: [ID: Double] = [:]
        for id in order {
            var score = 0.0
            for (list, weight) in weights.enumerated() {
                // Absent, it stands just behind its group's best: the page's evidence, while the
                // chunk that earned it stays ahead within the page.
                guard let rank = ranks[list][id] ?? groupRanks[list][groups[id]!].map({ $0 + 1 }) else { continue }
                score += weight / (k + Double(rank + 1))
            }
            scores[id] = score
        }
        return order.enumerated()
            .sorted { lhs, rhs in
                let left = scores[lhs.element]!, right = scores[rhs.element]!
                return left > right || (left == right && lhs.offset < rhs.offset)
            }
            .map { (id: $0.element, score: scores[$0.element]!) }
    }
}
