/// What a datastore is waiting for right now, and until when: shown by status so a wait is never
/// silent. Derived, not stored: throttles and slow responses come from the client as they
/// happen, retries from the job queue.
public struct DatastoreWait: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The site asked us to slow down (429 `Retry-After`, rate headers).
        case throttled
        /// A failed step is retried at `until`.
        case retrying
        /// A request has been waiting for its response since `since`.
        case awaitingResponse = "awaiting_response"
    }

    public var kind: Kind
    /// When the wait ends (ms since 1970), when known.
    public var until: Int64?
    /// When the wait began (ms since 1970), when known.
    public var since: Int64?
    /// For retries: this attempt and the most there will be.
    public var attempt: Int?
    public var maxAttempts: Int?
    /// In words, e.g. "HTTP 429 with Retry-After 900 s from https://example.atlassian.net". Never a secret.
    public var reason: String

    public init(kind: Kind, until: Int64? = nil, since: Int64? = nil, attempt: Int? = nil, maxAttempts: Int? = nil, reason: String) {
        self.kind = kind
        self.until = until
        self.since = since
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.reason = reason
    }
}
