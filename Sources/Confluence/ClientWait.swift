import Foundation

/// A wait the client is in, reported as it starts so status can say what a datastore waits for
/// and until when (the client reports nil when the request moves again).
public struct ClientWait: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Paced or told to back off (429 `Retry-After`, rate headers) until `until`.
        case throttled(until: Date)
        /// A failed request is retried at `until`; `attempt` of `maxAttempts`.
        case retrying(until: Date, attempt: Int, maxAttempts: Int)
        /// A request has been waiting for (the rest of) its response since `since`.
        case awaitingResponse(since: Date)
    }

    public var kind: Kind
    /// The site's origin (never with credentials).
    public var origin: String
    /// Why, in words (e.g. "HTTP 429 with Retry-After 900 s", "HTTP 503"). Never a secret.
    public var reason: String

    public init(kind: Kind, origin: String, reason: String) {
        self.kind = kind
        self.origin = origin
        self.reason = reason
    }
}
