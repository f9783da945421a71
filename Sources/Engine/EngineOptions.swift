import Content
import Embeddings
import Extraction
import Foundation

/// Tunables of the engine; the defaults suit a production daemon.
public struct EngineOptions: Sendable {
    /// Datastores making progress at the same time.
    public var maxConcurrentDatastores: Int = 4
    /// Requests per second per Confluence site unless a datastore sets its own.
    public var defaultRateLimit: Double = 10
    /// Pages per processing batch: one body request and one LMDB transaction each (≤ 250).
    public var batchSize: Int = 250
    /// Pages per LMDB write transaction within a batch (each group commits its pages whole:
    /// chunks, postings, manifest and credits). Bounds the memory a transaction holds.
    public var pagesPerTransaction: Int = 50
    /// Listing batches with bodies (single-pass sync) per LMDB write transaction: each
    /// transaction copies and writes the B-tree pages its batches share (postings of common
    /// terms, branch pages) once, and syncs once. 2 took the listing's commits at 100,000 pages
    /// from 10.9 s to 8.2 s (4: 7.7 s, with 12 MB more peak RSS).
    public var listingBatchesPerTransaction: Int = 2
    /// Listing stages the single pass keeps ahead of the group being committed: each is a
    /// request (each waits for the one before it: requests stay sequential) and the conversion
    /// of its batch, started when the request ends. With one, the next request went out only
    /// once the loop had committed the batch before, and the listing waited on the network for
    /// about a fifth of its time.
    public var listingRequestsAhead: Int = 2
    /// Attempts of one job before its failure is recorded (metadata: the datastore waits for the
    /// next interval; processing: the batch's pages are marked failed and the cycle goes on).
    public var maxAttempts: Int = 6
    /// First retry delay; doubles per attempt up to `maxRetryDelayMillis`.
    public var retryBaseMillis: Int64 = 2_000
    public var maxRetryDelayMillis: Int64 = 300_000
    /// How long a claimed job is reserved for its worker.
    public var leaseMillis: Int64 = 600_000
    /// Bodies larger than this are skipped with reason `too_large`.
    public var maxBodyBytes: Int = 8 << 20
    public var chunking = ChunkingOptions()
    /// Where `token_credential` secrets are read (the daemon passes `$CREDENTIALS_DIRECTORY`).
    public var credentials: any CredentialReader = NoCredentials()
    /// Tokens assumed per page when estimating credits before anything is indexed.
    public var estimatedTokensPerPage: Int = 600
    /// Minimum time between progress notifications to watchers.
    public var progressIntervalMillis: Int64 = 250
    /// How often labels are surveyed after a cycle reached ready, when they do not decide
    /// indexing (no excluded labels, Cloud): at most once per this interval (default 24 h).
    public var labelRefreshMillis: Int64 = 86_400_000

    /// While the state directory's filesystem is full, how often free space is checked
    /// (writing resumes at the first check that finds room).
    public var diskCheckIntervalMillis: Int64 = 20_000
    /// The free space asked for before writing resumes after a full disk.
    public var diskFullHeadroomBytes: Int64 = 64 << 20
    /// Extracts the text of attachments (the daemon passes the sandboxed helper); nil: none is
    /// extracted, each attachment of a format to index is recorded as failed.
    public var extractor: (any TextExtractor)?

    /// Embeds chunks and queries for hybrid search (`embedding_url`); nil: search is lexical.
    public var embedder: (any TextEmbedder)?
    /// Chunks per embedding request (and per write transaction of vectors).
    public var embeddingBatchSize: Int = 32
    /// Characters of a chunk's passage sent to be embedded (models read a few hundred tokens).
    public var embeddingInputCharacters: Int = 2_000
    /// The longest a search waits for its query's embedding before it answers lexically.
    public var queryEmbeddingTimeoutMillis: Int64 = 2_000
    /// Query embeddings kept for repeated queries.
    public var queryEmbeddingCacheSize: Int = 512

    public init() {}
}

extension EngineOptions {
    /// How long a job waits before its `attempt`-th retry: ``retryBaseMillis``, doubled per
    /// attempt, at most ``maxRetryDelayMillis``.
    func retryDelay(attempt: Int) -> Int64 {
        let exponent = min(max(attempt - 1, 0), 20)
        return min(retryBaseMillis << Int64(exponent), maxRetryDelayMillis)
    }
}
