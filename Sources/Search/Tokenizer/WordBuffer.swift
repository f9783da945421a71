/// Storage for the word being scanned, allocated once per scanner: the per-byte loop writes
/// through a raw pointer instead of paying an array's uniqueness and capacity checks.
///
/// Words longer than ``capacity`` keep only their first bytes, which is all the scanner needs:
/// terms are cut at ``Tokenizer/maxTermBytes``, and finding the cut looks at most one scalar
/// further.
final class WordBuffer {
    static let capacity = Tokenizer.maxTermBytes * 2

    let base = UnsafeMutablePointer<UInt8>.allocate(capacity: WordBuffer.capacity)

    deinit {
        base.deallocate()
    }
}
