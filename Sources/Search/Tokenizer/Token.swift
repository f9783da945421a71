/// One indexed word: its searchable term and where it came from.
public struct Token: Sendable, Equatable {
    /// The folded (and, for plain words, stemmed) form that is indexed and searched.
    public var term: String
    /// Ordinal of the token in its text, from 0; consecutive words have consecutive positions.
    public var position: Int
    /// Where the word lies in the text, as UTF-8 byte offsets.
    public var byteRange: Range<Int>

    /// Creates a token.
    public init(term: String, position: Int, byteRange: Range<Int>) {
        self.term = term
        self.position = position
        self.byteRange = byteRange
    }
}

/// A term occurrence on the fast paths: a vocabulary id instead of a string (see ``Vocabulary``).
struct TermOccurrence {
    var id: Int32
    var byteRange: Range<Int>
}
