import Foundation
import HTTP

/// Turns the `next` links Confluence returns into absolute URLs, following each API's rule:
/// v2 links already start with `/wiki/api/v2` and join the site origin; v1 links start with
/// `/rest/api` and join the base (origin plus context path, which `_links.base` names too).
/// Links are used exactly as given, except that they always go to the configured origin and
/// path prefix: credentials never follow a link to another host, and the api.atlassian.com
/// gateway prefix (`/ex/confluence/<cloud id>`) or a path-rewriting proxy keeps working.
enum NextLink {
    /// The `rel="next"` target of a `Link` header, if any.
    static func fromLinkHeader(_ headers: HTTPHeaders) -> String? {
        for value in headers.values(for: "Link") {
            var rest = Substring(value)
            while let open = rest.firstIndex(of: "<") {
                guard let close = rest[open...].firstIndex(of: ">") else { break }
                let target = rest[rest.index(after: open)..<close]
                let paramsEnd = rest[close...].dropFirst().firstIndex(of: "<") ?? rest.endIndex
                let params = rest[rest.index(after: close)..<paramsEnd].lowercased()
                if params.contains("rel=\"next\"") || params.contains("rel=next") { return String(target) }
                rest = rest[paramsEnd...]
            }
        }
        return nil
    }

    /// A v2 `next` (which starts with `/wiki`) joined to the origin, plus any gateway prefix.
    static func v2(_ next: String, site: ConfluenceSite) throws(ConfluenceError) -> String {
        var prefix = site.contextPath
        if next.hasPrefix("/wiki/"), prefix.hasSuffix("/wiki") { prefix.removeLast("/wiki".count) }
        return try join(next, prefix: prefix, site: site)
    }

    /// A v1 `next` (which starts with `/rest/api`) joined to the site's base. `_links.base`
    /// carries the same context path; only its host could differ, and that is never followed.
    static func v1(_ next: String, base: String?, site: ConfluenceSite) throws(ConfluenceError) -> String {
        _ = base
        return try join(next, prefix: site.contextPath, site: site)
    }

    private static func join(_ next: String, prefix: String, site: ConfluenceSite) throws(ConfluenceError) -> String {
        if next.hasPrefix("http://") || next.hasPrefix("https://") {
            guard next.lowercased().hasPrefix(site.origin.lowercased() + "/") else {
                throw ConfluenceError(
                    .unexpectedResponse,
                    "Confluence returned a pagination link to another host (\(URLRedaction.redact(next))); "
                        + "Tributary only sends credentials to \(site.origin). Check the site URL you configured.")
            }
            return next
        }
        let path = next.hasPrefix("/") ? next : "/" + next
        return site.origin + prefix + path
    }

    /// `url` with its `start` query parameter set to `start`, other parameters untouched.
    static func settingStart(_ url: String, to start: Int) -> String {
        guard var components = URLComponents(string: url) else { return url }
        var items = components.percentEncodedQueryItems ?? []
        items.removeAll { $0.name == "start" }
        items.append(URLQueryItem(name: "start", value: String(start)))
        components.percentEncodedQueryItems = items
        return components.string ?? url
    }

    /// The integer value of a query parameter.
    static func intParameter(_ name: String, in url: String) -> Int? {
        URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value.flatMap { Int($0) }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass; commas stay readable).
func queryEscape(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~,")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}
