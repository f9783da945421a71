/// A unit of engine work, persisted in the queue until it completes or runs out of attempts.
public struct Job: Sendable, Equatable, Codable {
    /// What the job does.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// List pages and diff against the manifest.
        case syncMetadata = "sync_metadata"
        /// Fetch, convert, index and charge the next batch of pages.
        case processBatch = "process_batch"
    }

    /// A claim on the job by one worker; when it expires the job is due again, so the work of
    /// a crashed worker comes back by itself.
    public struct Lease: Sendable, Equatable, Codable {
        public var owner: String
        /// Milliseconds since the Unix epoch.
        public var expires: Int64
    }

    public var id: UInt64
    public var datastore: UInt64
    public var kind: Kind
    /// Attempts started so far (a claim starts one).
    public var attempts: Int
    /// Give up after this many attempts.
    public var maxAttempts: Int
    /// When the job is (or was) due, in milliseconds since the Unix epoch.
    public var due: Int64
    public var lease: Lease?
    /// The error of the last failed attempt, for status output.
    public var lastError: String?
}
