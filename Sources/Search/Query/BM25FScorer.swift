import Foundation

/// BM25F over the postings of the query terms, merged in chunk-id order (every list is sorted
/// by id, so one pass with a cursor per term visits each candidate once without hashing).
struct BM25FScorer {
    let parameters: RankingParameters
    /// `1 − b + b · len / avg` for each length code.
    private let norms: [Double]

    init(parameters: RankingParameters, averageBodyLength: Double) {
        self.parameters = parameters
        let b = parameters.b
        norms = LengthCode.lengths.map { 1 - b + b * $0 / averageBodyLength }
    }

    /// The inverse document frequency of a term in `df` of `count` chunks (never negative).
    static func idf(documentFrequency df: Int, chunkCount count: Int) -> Double {
        log(1 + (Double(count) - Double(df) + 0.5) / (Double(df) + 0.5))
    }

    /// One term's contribution for one posting.
    @inline(__always)
    func score(_ raw: UInt64, idf: Double) -> Double {
        let entry = PostingEntry(raw: raw)
        let frequencies = entry.frequencies
        let tf = parameters.titleWeight * Double(frequencies.title)
            + parameters.headingWeight * Double(frequencies.heading)
            + parameters.bodyWeight * Double(frequencies.body) / norms[Int(entry.lengthCode)]
        return idf * tf * (parameters.k1 + 1) / (parameters.k1 + tf)
    }

    /// A provisional phrase bonus: chunks holding every term of a phrase (`mask`: bits of the
    /// lists of its terms) get `bonus` while ranking, so they fill the pool that is re-ranked;
    /// the re-ranking keeps it only where the phrase is really there.
    struct PhraseHint {
        var mask: UInt64
        var bonus: Double
    }

    /// Scores every chunk in any list (at most 64 lists) and keeps the best `capacity`.
    func topChunks(_ lists: [PostingList], capacity: Int, phrases: [PhraseHint] = []) -> TopK {
        var top = TopK(capacity: capacity)
        scoreChunks(lists, phrases: phrases, into: &top)
        return top
    }

    /// Scores every chunk in any list (at most 64 lists) and offers each to `sink` once, in
    /// chunk-id order.
    func scoreChunks<Sink: ScoredChunkSink>(_ lists: [PostingList], phrases: [PhraseHint] = [], into top: inout Sink) {
        if lists.count == 1 {
            let list = lists[0]
            for raw in list.entries { top.offer(score: score(raw, idf: list.idf), id: raw >> 24, matched: 1) }
            return
        }
        var cursors = [Int](repeating: 0, count: lists.count)
        while true {
            var current = UInt64.max
            for index in lists.indices where cursors[index] < lists[index].entries.count {
                current = min(current, lists[index].entries[cursors[index]] >> 24)
            }
            guard current != .max else { break }
            var total = 0.0
            var matched: UInt64 = 0
            for index in lists.indices where cursors[index] < lists[index].entries.count {
                let raw = lists[index].entries[cursors[index]]
                if raw >> 24 == current {
                    total += score(raw, idf: lists[index].idf)
                    matched |= 1 << UInt64(index)
                    cursors[index] += 1
                }
            }
            for phrase in phrases where phrase.mask & matched == phrase.mask {
                total += phrase.bonus
            }
            top.offer(score: total, id: current, matched: matched)
        }
    }
}

/// Where ``BM25FScorer/scoreChunks(_:phrases:into:)`` puts each scored chunk: a ``TopK`` keeps
/// the best few, a ``CandidateQueue`` keeps them all for a filtered search.
protocol ScoredChunkSink {
    mutating func offer(score: Double, id: UInt64, matched: UInt64)
}
