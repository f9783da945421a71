/// What a datastore waits for right now, and until when (`DatastoreWait` on the wire): a
/// throttle, a retry or a slow response, so a sync that makes no progress says why.
public struct WaitStatus: Sendable, Codable, Equatable {
    /// "throttled", "retrying" or "awaiting_response".
    public var kind: String
    /// ISO 8601 UTC time the wait ends, when known (throttled, retrying).
    public var until: String?
    /// ISO 8601 UTC time the wait began, when known (awaiting_response).
    public var since: String?
    /// For retrying: the coming attempt and the most there will be.
    public var attempt: Int?
    public var maxAttempts: Int?
    /// In words, e.g. "HTTP 429 with Retry-After 900 s from https://example.atlassian.net".
    public var reason: String

    public init(kind: String, until: String? = nil, since: String? = nil, attempt: Int? = nil, maxAttempts: Int? = nil, reason: String) {
        self.kind = kind
        self.until = until
        self.since = since
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.reason = reason
    }
}
