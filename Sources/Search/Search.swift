// The Search module: full-text search over the chunks Content produces, stored in the daemon's
// LMDB store through Storage.
//
// Pieces, one job per file:
// - Tokenizer/: `Tokenizer` (segmentation, case and diacritic folding, Snowball stemming via
//   libstemmer); `TermScanner` is its byte loop, `Vocabulary` interns terms for the hot paths.
// - Index/: the table layout (`SearchTables`), key and value codecs (`IndexKeys`,
//   `PostingEntry`, `LengthCode`, `StoredChunk` and its `ChunkPieces`, `IndexStatistics`,
//   `IndexFormat`), and the writer: `prepare` (tokenise, count and encode, no storage;
//   `ChunkAnalysis` counts a chunk, `BatchTerms` and `BatchPostings` group a batch's
//   postings by term) and `apply` (puts inside the caller's `WriteTransaction`), plus
//   removal and `audit`.
// - Query/: `SearchQuery` parsing, posting lists and BM25F scoring with a top-k heap,
//   phrase re-ranking, snippets, and `SearchIndex.search`; a `PagePredicate` filters pages
//   while candidates are gathered (`CandidateQueue` hands every scored chunk out best first
//   until enough pass).
//
// Layout (every key starts with the 8-byte big-endian datastore id, so datastores share the
// tables and a prefix delete drops one):
//   search.chunks          (ds, chunk id)  → StoredChunk: page id, ordinal, title, heading path,
//                                             anchor, url hint, field lengths, text; cut into
//                                             pieces of ≤ 1,000 bytes under (ds, chunk id, n)
//                                             so no record needs LMDB overflow pages
//   search.postings        (ds, term)      → DUPSORT|DUPFIXED 8-byte PostingEntry per chunk:
//                                             40-bit chunk id | 8-bit length code | 2-bit title
//                                             tf | 3-bit heading tf | 11-bit body tf, big-endian
//   search.pages           (ds, page id)   → DUPSORT|DUPFIXED 8-byte chunk ids
//   search.documents       (ds, page id)   → PageText: the page's whole Markdown and heading
//                                             outline (offsets in Unicode scalars), kept beside
//                                             its chunks (which overlap, so cannot rebuild it),
//                                             cut into pieces like a chunk's; written, replaced
//                                             and removed with the chunks
//   search.stats           ds              → IndexStatistics: next chunk id, chunk and page
//                                             counts, field length sums (BM25's N and averages),
//                                             layout version and analysis fingerprint
//
// A chunk's postings are not stored with it: removal analyses the stored chunk (title, heading
// path, text) again, which yields exactly the postings it added as long as the analysis is the
// same, and deletes those, failing on any that is missing. `IndexFormat` records the layout
// and a fingerprint of the analysis (rules version and the stems of a probe text) in the
// statistics; writes refuse a datastore recorded with others, which must then be rebuilt.
//
// Chunk ids come from the per-datastore counter and are never reused, so a new posting is
// always above every existing one under its term and a DUPSORT value is never overwritten in
// place (LMDB 0.9.24's caveat, engineering notes §1.4). `prepare` does everything that needs
// no chunk id (tokenising, counting, encoding records, grouping postings by term in key
// order); `apply` numbers the chunks and writes each term's postings of the batch with one
// bulk put (Storage's `putDuplicates`: MDB_MULTIPLE, appended with MDB_APPENDDUP), all terms
// through one cursor.
