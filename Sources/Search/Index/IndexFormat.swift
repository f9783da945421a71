/// What a datastore's index was written with, kept in its ``IndexStatistics``.
///
/// A chunk's postings are not stored with it: removing the chunk derives them again from its
/// stored text (see ``ChunkAnalysis/init(stored:tokenizer:counter:)``). That is exact only if
/// the writer analyses text the way the one that indexed it did, so writes refuse a datastore
/// recorded with another layout or analysis; it must then be rebuilt.
enum IndexFormat {
    /// The table layout and record encodings. 2: postings derived on removal, no
    /// `search.chunk-terms` table. 3: each page's whole text in `search.documents` (pages
    /// indexed before have none, so a datastore of layout 2 is rebuilt). 4: postings keyed by
    /// chunk-id generation before term (``TermKey``, ``PostingGeneration``). Records from
    /// before the field was kept read as 0.
    static let layout: UInt32 = 4

    /// Bump when the tokenizer's rules (segmentation, folding, cutting, what is stemmed) or
    /// the field analysis change. 2: function words are not counted in a chunk's body length,
    /// and names a chunk defines count in its heading field too (``ChunkAnalysis/forEachDefinition(in:_:)``).
    static let rules: UInt32 = 2

    /// `rules` and the terms of a probe text through the indexing path, hashed: it also
    /// changes when libstemmer's stems do (an OS upgrade can bring a newer Snowball).
    static let analysis: UInt32 = {
        // FNV-1a, spelled out here: the value is stored, so it must not follow hash-table tuning.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func combine(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for byte in withUnsafeBytes(of: rules.bigEndian, Array.init) { combine(byte) }
        if let tokenizer = try? Tokenizer() {
            var ids: [Int32] = []
            tokenizer.scanTermIDs(probe) { ids.append($0) }
            let terms = tokenizer.vocabularyTerms
            for id in ids {
                for byte in terms[Int(id)].utf8 { combine(byte) }
                combine(0)
            }
        }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }()

    /// Words whose stems exercise most Snowball English rules, plus the tokenizer's special cases.
    private static let probe = """
        caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping \
        tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci \
        digitizer conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism \
        decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize \
        electriciti electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible \
        irritant replacement adjustment dependent adoption homologou communism activate angulariti homologous \
        effective bowdlerize probate rate cease controll roll generously generate news skis dying lying early \
        consign consigned consigning consignment consist consisted consistency consistent consisting knack \
        knackeries knightliness knotted Running runners ran Café CAFÉ cafe\u{301} Straße Ø ﬁle Ａ x86_64 v2.1 \
        192.168.0.1 file.txt snake_case __init__ C++ g++ C# a+b don't Debian's don’t 東京都に行く ภาษาไทย
        """
}
