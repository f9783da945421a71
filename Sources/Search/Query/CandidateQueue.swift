/// Every scored chunk of a query, handed out best first on demand: a filtered search takes
/// candidates from it until enough of them pass the filter, however many do not. Ordered like
/// ``TopK`` (score, then the lower id). The heap is built on the first ``popBest()``, in linear
/// time; each pop costs a logarithm of the candidates left.
struct CandidateQueue: ScoredChunkSink {
    private var heap: [TopK.Entry] = []
    private var heapified = false

    @inline(__always)
    mutating func offer(score: Double, id: UInt64, matched: UInt64) {
        heap.append(TopK.Entry(score: score, id: id, matched: matched))
    }

    /// Candidates not yet handed out.
    var count: Int { heap.count }

    /// The best candidate left, or nil when none is.
    mutating func popBest() -> TopK.Entry? {
        if !heapified {
            heapified = true
            var index = heap.count / 2
            while index > 0 {
                index -= 1
                siftDown(index)
            }
        }
        guard let best = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return best
    }

    /// `lhs` ranks above `rhs`.
    @inline(__always)
    private static func better(_ lhs: TopK.Entry, _ rhs: TopK.Entry) -> Bool {
        lhs.score > rhs.score || (lhs.score == rhs.score && lhs.id < rhs.id)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var best = left
            if left + 1 < heap.count, Self.better(heap[left + 1], heap[left]) { best = left + 1 }
            guard Self.better(heap[best], heap[parent]) else { return }
            heap.swapAt(best, parent)
            parent = best
        }
    }
}
