/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): an item's fused score is
/// `Σ 1 / (k + rank)` over the ranked lists that hold it (rank from 1). Needs no score
/// calibration between BM25 and cosine similarity; `k = 60` is the paper's constant. A weight
/// per list makes it the weighted variant.
public enum ReciprocalRankFusion {
    public static let defaultK = 60.0

    /// How hybrid search fuses its lexical and dense legs: a weighted RRF, chosen on the tuning
    /// half of `scripts/bench retrieval`'s question set (lexical 0.25, dense 0.75 beat both
    /// plain RRF k = 60 and the dense leg alone on MRR@10 and Recall@10; plain RRF lost to dense
    /// alone, because the lexical leg is weak on questions). k = 5 rather than 10 (a sweep of
    /// k 1–60 and the lexical weight 0.1–0.5 over both legs' page rankings): the top of each
    /// list counts more, MRR@10 on the tuning half 0.700 → 0.708 at the same Recall@10.
    public enum Hybrid {
        public static let k = 5.0
        public static let lexicalWeight = 0.25
        public static let denseWeight = 0.75

        /// The fused score of the result at `rank` (from 0) of a list that had no dense leg (a
        /// datastore without vectors searched beside hybrid ones): as if both legs agreed.
        public static func lexicalOnlyScore(rank: Int) -> Double {
            (lexicalWeight + denseWeight) / (k + Double(rank + 1))
        }
    }

    /// The items of `lists` by fused score, best first; ties keep the order of first
    /// appearance (earlier list, then earlier rank). An item listed twice in one list counts once.
    /// `weights` (one a list, default 1 each) scale each list's contributions.
    public static func fuse<ID: Hashable>(_ lists: [[ID]], weights: [Double]? = nil, k: Double = defaultK) -> [(id: ID, score: Double)] {
        precondition(weights == nil || weights!.count == lists.count, "one weight a list")
        var scores: [ID: Double] = [:]
        var order: [ID] = []
        for (index, list) in lists.enumerated() {
            let weight = weights?[index] ?? 1
            var seen: Set<ID> = []
            for (rank, id) in list.enumerated() where seen.insert(id).inserted {
                if scores[id] == nil { order.append(id) }
                scores[id, default: 0] += weight / (k + Double(rank + 1))
            }
        }
        return order.enumerated()
            .sorted { lhs, rhs in
                let left = scores[lhs.element]!, right = scores[rhs.element]!
                return left > right || (left == right && lhs.offset < rhs.offset)
            }
            .map { (id: $0.element, score: scores[$0.element]!) }
    }
}
