/// An open-addressing hash table from bytes (folded words, stems) to vocabulary ids, probed
/// with the bytes the tokenizer just produced: no `String` is built and no SipHash runs for
/// words seen before, which is nearly every word of a document.
struct WordTable {
    private struct Slot {
        var hash: UInt32 = 0
        var length: UInt32 = 0
        var offset: UInt32 = 0
        var id: Int32 = -1  // -1: empty
    }

    /// Allocated on the first insert: empty tables are made on every scan (as placeholders
    /// while the real one is in use), so they must cost nothing.
    private var slots: [Slot] = []
    /// Every stored word's bytes, back to back.
    private var arena: [UInt8] = []
    private(set) var count = 0

    /// The id stored for `word`, if any.
    @inline(__always)
    func id(of word: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let hash = Self.hash(word)
        let mask = slots.count - 1
        var index = Int(hash) & mask
        return arena.withUnsafeBufferPointer { arena in
            while true {
                let slot = slots[index]
                if slot.id < 0 { return nil }
                if slot.hash == hash, Int(slot.length) == word.count,
                   word.count == 0 || Self.equal(arena.baseAddress! + Int(slot.offset), word.baseAddress!, word.count) {
                    return slot.id
                }
                index = (index + 1) & mask
            }
        }
    }

    /// Stores `word` → `id`; the word must not be present.
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, id: Int32) {
        if slots.isEmpty {
            slots = [Slot](repeating: Slot(), count: Self.initialCapacity)
        } else if (count + 1) * 2 > slots.count {
            grow()
        }
        let slot = Slot(hash: Self.hash(word), length: UInt32(word.count), offset: UInt32(arena.count), id: id)
        arena.append(contentsOf: word)
        place(slot)
        count += 1
    }

    mutating func removeAll() {
        slots = []
        arena.removeAll()
        count = 0
    }

    private static let initialCapacity = 1 << 12

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var index = Int(slot.hash) & mask
        while slots[index].id >= 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        for slot in old where slot.id >= 0 { place(slot) }
    }

    /// Byte equality inline, eight at a time: words are short, and a `memcmp` call costs
    /// more than comparing them.
    @inline(__always)
    private static func equal(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        while index + 8 <= count {
            let left = UnsafeRawPointer(lhs + index).loadUnaligned(as: UInt64.self)
            let right = UnsafeRawPointer(rhs + index).loadUnaligned(as: UInt64.self)
            if left != right { return false }
            index += 8
        }
        while index < count {
            if lhs[index] != rhs[index] { return false }
            index += 1
        }
        return true
    }

    /// Eight bytes at a time, each round a multiply and a fold of the high half into the low
    /// (probing uses the low bits): words are short, so most take one or two rounds, with no
    /// per-byte chain of multiplies as in FNV.
    @inline(__always)
    private static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let count = word.count
        var state = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        guard let base = word.baseAddress else { return UInt32(truncatingIfNeeded: state >> 32) }
        var index = 0
        while index + 8 <= count {
            state = mix(state ^ UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            index += 8
        }
        if index < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                tail |= UInt64(base[index]) << shift
                shift += 8
                index += 1
            }
            state = mix(state ^ tail)
        }
        return UInt32(truncatingIfNeeded: state)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value &* 0xFF51_AFD7_ED55_8CCD
        return product ^ (product >> 32)
    }
}
