import Foundation
import HTTP

/// Why a Confluence call failed, worded for the person who has to fix it.
///
/// Every message says what to check. No message ever contains a credential: messages are
/// built from redacted URLs, and any server text quoted in them is scrubbed of the secrets
/// the client holds.
public struct ConfluenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure classes callers act on (e.g. to choose `failed(reason)` or a retry).
    public enum Kind: Sendable, Equatable, Hashable {
        /// The pasted text is not a Confluence space address we can use.
        case invalidURL
        /// Plain http:// to a non-loopback host without explicit permission.
        case insecureURL
        /// HTTP 401: the email/user name or the token/password is wrong or revoked.
        case badCredentials
        /// The token is valid but lacks the scope or permission for this call.
        case insufficientPermission
        /// The space does not exist or the account cannot see it (Confluence does not say which).
        case spaceNotFound
        /// A page does not exist or the account cannot see it.
        case pageNotFound
        /// The address does not answer like a Confluence REST API (wrong URL or context path).
        case notConfluence
        /// The server rejected a request as malformed (HTTP 400).
        case badRequest
        /// Confluence kept failing (5xx) or could not be reached, after retries.
        case unavailable
        /// Still rate-limited (429) after the allowed retries.
        case rateLimited
        /// TLS failed (certificate, CA bundle).
        case tls
        /// A response did not have the shape the API documents (malformed JSON, HTML, …).
        case unexpectedResponse
        /// A response exceeded the size cap.
        case responseTooLarge
        /// A response ended before the length it announced, again after retries.
        case truncatedResponse
        /// The request was redirected to another host or path (the site URL is probably wrong, or
        /// a login page or proxy intercepts API requests); the message names where it went.
        case redirected
        /// The calling task was cancelled.
        case cancelled
    }

    public var kind: Kind
    /// A complete sentence or two: what happened and what to check.
    public var message: String
    /// The HTTP status behind the error, when there was one.
    public var status: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// Whether the server answered, but not with what the API documents: HTML, invalid JSON, a
    /// truncated or oversized body (as opposed to not answering at all).
    public var isBadResponse: Bool {
        switch kind {
        case .unexpectedResponse, .responseTooLarge, .truncatedResponse: true
        default: false
        }
    }

    /// Whether the same call may succeed later without anyone changing configuration.
    public var isTransient: Bool {
        switch kind {
        case .unavailable, .rateLimited, .cancelled: true
        default: false
        }
    }

    /// Copy with every occurrence of the given secrets replaced. Applied to all messages that
    /// quote server text, as defence in depth.
    func scrubbed(of secrets: [String]) -> ConfluenceError {
        var copy = self
        for secret in secrets where secret.count >= 4 {
            copy.message = copy.message.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return copy
    }
}
