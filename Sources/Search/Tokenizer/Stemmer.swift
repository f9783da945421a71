import CStemmer

/// One Snowball stemmer from libstemmer.
///
/// An `sb_stemmer` keeps its working buffer inside the object, so it is not thread-safe: each
/// ``Tokenizer`` owns one and the type is deliberately not `Sendable`.
final class Stemmer {
    private let handle: OpaquePointer

    /// Creates a stemmer for a Snowball algorithm name (`english`, `porter`, `german`…).
    init(algorithm: String) throws(SearchError) {
        guard let handle = sb_stemmer_new(algorithm, "UTF_8") else {
            throw .stemmerUnavailable(algorithm: algorithm)
        }
        self.handle = handle
    }

    deinit {
        sb_stemmer_delete(handle)
    }

    /// Replaces `word` (lower-case UTF-8) with its stem.
    func stem(_ word: inout [UInt8]) {
        let count = word.count
        let stemmed: UnsafePointer<sb_symbol>? = word.withUnsafeBufferPointer { buffer in
            sb_stemmer_stem(handle, buffer.baseAddress, Int32(count))
        }
        guard let stemmed else { return }  // out of memory: keep the word unstemmed
        let length = Int(sb_stemmer_length(handle))
        guard length > 0 else { return }
        word.removeAll(keepingCapacity: true)
        word.append(contentsOf: UnsafeBufferPointer(start: stemmed, count: length))
    }
}
