import Foundation

/// How to sign in. Descriptions never show the secret.
public enum ConfluenceCredentials: Sendable, CustomStringConvertible {
    /// Cloud: Atlassian account email and API token, sent as HTTP basic auth.
    case apiToken(email: String, token: String)
    /// Data Center 7.9+: personal access token, sent as `Authorization: Bearer`.
    case personalAccessToken(String)
    /// Data Center: user name and password over basic auth.
    case basic(username: String, password: String)
    /// No credentials: only anonymously visible content.
    case anonymous

    /// The `Authorization` header value, or nil for anonymous access.
    var authorization: String? {
        switch self {
        case .apiToken(let user, let secret), .basic(let user, let secret):
            "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
        case .personalAccessToken(let token):
            "Bearer " + token
        case .anonymous:
            nil
        }
    }

    /// Every string that must never appear in a message or log.
    var secrets: [String] {
        switch self {
        case .apiToken(_, let secret), .basic(_, let secret):
            [secret, authorization.map { String($0.dropFirst("Basic ".count)) } ?? ""]
        case .personalAccessToken(let token): [token]
        case .anonymous: []
        }
    }

    public var description: String {
        switch self {
        case .apiToken(let email, _): "API token for \(email)"
        case .personalAccessToken: "personal access token"
        case .basic(let username, _): "password for \(username)"
        case .anonymous: "anonymous access"
        }
    }
}
