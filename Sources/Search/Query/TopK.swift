/// The best `capacity` (score, id) pairs seen, in a binary min-heap whose root is the worst
/// kept. Ties go to the lower id, so results are deterministic.
struct TopK: ScoredChunkSink {
    struct Entry {
        var score: Double
        var id: UInt64
        /// Which posting lists (bit i for list i) the chunk appeared in.
        var matched: UInt64
    }

    let capacity: Int
    private(set) var heap: [Entry] = []

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    /// `lhs` ranks below `rhs`.
    @inline(__always)
    private static func worse(_ lhs: Entry, _ rhs: Entry) -> Bool {
        lhs.score < rhs.score || (lhs.score == rhs.score && lhs.id > rhs.id)
    }

    @inline(__always)
    mutating func offer(score: Double, id: UInt64, matched: UInt64 = 0) {
        let entry = Entry(score: score, id: id, matched: matched)
        if heap.count < capacity {
            heap.append(entry)
            siftUp(heap.count - 1)
        } else if capacity > 0, Self.worse(heap[0], entry) {
            heap[0] = entry
            siftDown(0)
        }
    }

    /// Best first.
    func sorted() -> [Entry] {
        heap.sorted { Self.worse($1, $0) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, Self.worse(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard Self.worse(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
