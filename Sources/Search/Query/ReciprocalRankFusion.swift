/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): an item's fused score is
/// `Σ 1 / (k + rank)` over the ranked lists that hold it (rank from 1). Needs no score
/// calibration between BM25 and cosine similarity; `k = 60` is the paper's constant.
public enum ReciprocalRankFusion {
    public static let defaultK = 60.0

    /// The items of `lists` by fused score, best first; ties keep the order of first
    /// appearance (earlier list, then earlier rank). An item listed twice in one list counts once.
    public static func fuse<ID: Hashable>(_ lists: [[ID]], k: Double = defaultK) -> [(id: ID, score: Double)] {
        var scores: [ID: Double] = [:]
        var order: [ID] = []
        for list in lists {
            var seen: Set<ID> = []
            for (rank, id) in list.enumerated() where seen.insert(id).inserted {
                if scores[id] == nil { order.append(id) }
                scores[id, default: 0] += 1 / (k + Double(rank + 1))
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
