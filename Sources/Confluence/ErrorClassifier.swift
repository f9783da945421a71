import Foundation
import HTTP

/// Turns unsuccessful HTTP answers and transport failures into ``ConfluenceError``s that
/// tell a person what to check.
struct ErrorClassifier: Sendable {
    let site: ConfluenceSite
    let credentials: ConfluenceCredentials

    /// A non-2xx response that is not retried (or no longer).
    func classify(_ response: HTTPResponse, subject: Subject) -> ConfluenceError {
        let status = response.status
        let reason = serverReason(response)
        let quoted = reason.map { " The server said: “\($0)”." } ?? ""
        let error: ConfluenceError
        switch status {
        case 401:
            error = unauthorized(response, quoted: quoted)
        case 403:
            error = ConfluenceError(
                .insufficientPermission,
                "Confluence accepted the credentials but refused access (HTTP 403).\(quoted) Check that the account "
                    + "has View permission on the space\(scopeHint).",
                status: status)
        case 404:
            error = notFound(subject, response: response)
        case 400:
            error = ConfluenceError(
                .badRequest,
                "Confluence rejected a request as invalid (HTTP 400).\(quoted) This usually means the server runs "
                    + "an API version Tributary does not support; please report it with the server version.",
                status: status)
        case 429:
            error = ConfluenceError(
                .rateLimited,
                "Confluence at \(site.origin) is still rate-limiting requests after \(retriesText) (HTTP 429). "
                    + "Lower the request rate for this site or sync outside busy hours; the sync will resume later.",
                status: status)
        case 500...599:
            error = ConfluenceError(
                .unavailable,
                "Confluence at \(site.origin) is failing (HTTP \(status)) after \(retriesText).\(quoted) "
                    + (site.flavor == .cloud
                        ? "Check status.atlassian.com; the sync will be retried later."
                        : "Check the server's health and logs; the sync will be retried later."),
                status: status)
        default:
            error = ConfluenceError(
                .unexpectedResponse,
                "Confluence answered with unexpected HTTP \(status) for \(endpoint(response)).\(quoted) Check that "
                    + "the site URL points at Confluence and that no proxy rewrites API requests.",
                status: status)
        }
        return error.scrubbed(of: credentials.secrets)
    }

    /// A transport failure after retries.
    func classify(_ error: HTTPError) -> ConfluenceError {
        let result: ConfluenceError
        switch error.kind {
        case .cancelled:
            result = ConfluenceError(.cancelled, "The request to Confluence was cancelled.")
        case .tls:
            result = ConfluenceError(
                .tls,
                "The secure connection to \(site.host) failed: \(error.detail). Check the site's certificate; if it "
                    + "is signed by a private CA, install that CA in the system trust store.")
        case .responseTooLarge:
            result = ConfluenceError(.responseTooLarge, "\(error.description). The page or listing is larger than Tributary accepts.")
        case .invalidRequest:
            result = ConfluenceError(.invalidURL, "\(error.description). Check the site URL.")
        case .connectionLost where error.truncated:
            result = ConfluenceError(
                .truncatedResponse,
                "Confluence at \(site.origin) answered \(error.url) with a response that ended before the length it "
                    + "announced, again after \(retriesText). A proxy or load balancer between here and Confluence may be "
                    + "cutting responses short; check its timeouts and size limits.")
        case .tooManyRedirects:
            result = ConfluenceError(
                .redirected,
                "\(error.url) redirects in a loop (\(error.detail)). The site URL is probably not Confluence's own "
                    + "address, or a login page or proxy intercepts API requests; use the address the API answers at.")
        case .couldNotResolveHost:
            result = ConfluenceError(
                .unavailable,
                "The host \(site.host) could not be found. Check the site URL for typos, and DNS or proxy settings.")
        default:
            result = ConfluenceError(
                .unavailable,
                "Confluence at \(site.origin) could not be reached after \(retriesText): \(error.description). "
                    + "Check that the server is up and reachable from this machine (firewall, proxy variables).")
        }
        return result.scrubbed(of: credentials.secrets)
    }

    /// A response that came from another host or path than asked for: the redirect is the
    /// error, whatever the other end answered (an empty listing there is not a missing space).
    /// Says where it went, without userinfo or query.
    func redirected(_ response: HTTPResponse, requested: String) -> ConfluenceError {
        let target = URLRedaction.redact(response.finalURL)
        let there = (200..<300).contains(response.status) ? "" : " (HTTP \(response.status) there)"
        return ConfluenceError(
            .redirected,
            "Confluence at \(site.origin) redirected \(URLRedaction.redact(requested)) to \(target)\(there). The site URL "
                + "is probably not Confluence's own address (the site moved, or a login page or proxy intercepts API "
                + "requests); use the address the API answers at.",
            status: response.status
        ).scrubbed(of: credentials.secrets)
    }

    /// Whether a response that followed redirects ended elsewhere than `requested`: another
    /// host, port or path. Moving from http to https on the same host and path (default ports)
    /// is not elsewhere.
    static func leftEndpoint(requested: String, final: String) -> Bool {
        guard let from = URLComponents(string: requested), let to = URLComponents(string: final) else { return requested != final }
        func port(_ url: URLComponents) -> Int? {
            url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil)
        }
        // No ports given: each scheme's default, so http to https stays on the same endpoint.
        let samePort = port(from) == port(to) || (from.port == nil && to.port == nil)
        return from.host?.lowercased() != to.host?.lowercased() || !samePort || from.percentEncodedPath != to.percentEncodedPath
    }

    /// A 2xx body that does not decode.
    func malformed(_ response: HTTPResponse, _ decodingError: any Error) -> ConfluenceError {
        let contentType = response.headers["Content-Type"]?.lowercased() ?? "no content type"
        var why = "not the JSON the API documents (\(Self.describe(decodingError)))"
        if contentType.contains("html") {
            why = "an HTML page instead of JSON"
        } else if response.body.isEmpty {
            why = "an empty body"
        }
        let hint = contentType.contains("html")
            ? "A login page, single sign-on or a proxy may be intercepting API requests, or the URL is not the Confluence base address."
            : "Check that the URL points at Confluence itself; if it does, please report this with the server version."
        return ConfluenceError(
            .unexpectedResponse,
            "Confluence answered \(endpoint(response)) with \(why). \(hint)",
            status: response.status
        ).scrubbed(of: credentials.secrets)
    }

    // MARK: Pieces

    private var retriesText: String { "several retries" }

    private var scopeHint: String {
        site.flavor == .cloud ? ", and for a scoped API token that it includes read:page:confluence and read:space:confluence" : ""
    }

    private func unauthorized(_ response: HTTPResponse, quoted: String) -> ConfluenceError {
        let category = response.headers["X-Failure-Category"]?.uppercased() ?? ""
        if category.contains("SCOPE") || response.text.lowercased().contains("scope does not match") {
            return ConfluenceError(
                .insufficientPermission,
                "The API token was recognised but does not have the scopes this needs (HTTP 401, scope does not match). "
                    + "Use a token with read:page:confluence, read:space:confluence and read:label:confluence "
                    + "(scoped tokens go through api.atlassian.com/ex/confluence/<cloud id>), or an unscoped API token.",
                status: 401)
        }
        let message: String
        switch credentials {
        case .apiToken(let email, _):
            message = "Confluence Cloud rejected the credentials (HTTP 401). Check that the email “\(email)” is the "
                + "Atlassian account the API token belongs to, and that the token is complete and not revoked or "
                + "expired (manage tokens at id.atlassian.com → Security → API tokens)."
        case .basic(let username, _):
            message = "Confluence rejected the user name “\(username)” or its password (HTTP 401). Check both, or "
                + "use a personal access token instead."
        case .personalAccessToken:
            message = "Confluence rejected the personal access token (HTTP 401). Check that it is complete and "
                + "has not expired or been revoked (Profile → Personal Access Tokens)."
        case .anonymous:
            message = "Confluence requires signing in (HTTP 401). Give an email and API token (Cloud) or a "
                + "personal access token (Data Center)."
        }
        return ConfluenceError(.badCredentials, message, status: 401)
    }

    private func notFound(_ subject: Subject, response: HTTPResponse) -> ConfluenceError {
        // A 404 that is not Confluence's JSON error (or is Jersey's "null for uri") means the
        // endpoint itself is missing: wrong base URL or context path, not a missing space.
        let isJSON = response.headers["Content-Type"]?.lowercased().contains("json") ?? false
        let subjectToBlame = isJSON && !response.text.contains("null for uri") ? subject : .probe
        switch subjectToBlame {
        case .space(let key):
            return spaceNotFound(key: key)
        case .spaceId(let id):
            return spaceNotFound(key: "with id \(id)")
        case .pages(let key):
            return spaceNotFound(key: key ?? "")
        case .page(let id):
            return ConfluenceError(
                .pageNotFound,
                "Page \(id) was not found, or this account cannot see it (Confluence answers both the same way, "
                    + "HTTP 404). It may have been deleted, moved or restricted.",
                status: 404)
        case .search, .probe:
            return ConfluenceError(
                .notConfluence,
                "\(endpoint(response)) does not exist (HTTP 404): \(site.baseURL) does not answer like "
                    + (site.flavor == .cloud ? "Confluence Cloud" : "Confluence Data Center")
                    + ". Check the site URL, including the context path (e.g. /confluence).",
                status: 404)
        }
    }

    /// The space is missing or invisible; on Data Center a wrong PAT looks exactly like this.
    func spaceNotFound(key: String) -> ConfluenceError {
        let name = key.hasPrefix("with id") ? "The space \(key)" : "Space “\(key)”"
        var message = "\(name) was not found, or this account is not allowed to see it: Confluence answers "
            + "both the same way (HTTP 404). Check the space key in the URL and that the account has View "
            + "permission on the space."
        switch (site.flavor, credentials) {
        case (.dataCenter, .personalAccessToken):
            message += " On Data Center a wrong or expired personal access token is not rejected but treated as "
                + "anonymous, so also check the token."
        case (_, .anonymous):
            message += " No credentials were given, so only spaces visible to anonymous users can be found."
        default:
            break
        }
        return ConfluenceError(.spaceNotFound, message, status: 404)
    }

    private func serverReason(_ response: HTTPResponse) -> String? {
        let contentType = response.headers["Content-Type"]?.lowercased() ?? ""
        var text: String?
        if contentType.contains("json"), let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: response.body) {
            text = envelope.summary
        } else if contentType.hasPrefix("text/plain") {
            text = response.text
        }
        guard var reason = text?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else { return nil }
        reason = reason.replacingOccurrences(of: "\n", with: " ")
        return reason.count > 200 ? String(reason.prefix(200)) + "…" : reason
    }

    private func endpoint(_ response: HTTPResponse) -> String {
        URLRedaction.redact(response.finalURL)
    }

    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "unreadable" }
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.isEmpty ? "top level" : String(joined.drop { $0 == "." })
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "missing “\(key.stringValue)” at \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "null at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "malformed JSON" : "bad value at \(path(context))"
        @unknown default: return "unreadable"
        }
    }
}
