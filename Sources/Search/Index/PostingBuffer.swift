/// Postings of a write, grouped by vocabulary id until they are written in term order.
struct PostingBuffer {
    private var lists: [[UInt64]] = []
    private(set) var termIDs: [Int32] = []

    mutating func append(_ raw: UInt64, to id: Int32) {
        let index = Int(id)
        if index >= lists.count {
            lists.append(contentsOf: repeatElement([], count: max(index + 1 - lists.count, lists.count)))
        }
        if lists[index].isEmpty { termIDs.append(id) }
        lists[index].append(raw)
    }

    func entries(of id: Int32) -> [UInt64] {
        lists[Int(id)]
    }
}
