import Foundation
import HTTP

/// What a person pasted, understood: the site, and the space (or a page in it).
public struct SpaceLocation: Sendable, Equatable {
    public var site: ConfluenceSite
    /// The space key, or nil when the URL names only a page (`viewpage.action?pageId=`):
    /// then ask the person for the space, or resolve it with ``ConfluenceClient/spaceKey(forPageId:)``.
    public var spaceKey: String?
    /// The page the URL pointed at, if any.
    public var pageId: String?

    public init(site: ConfluenceSite, spaceKey: String?, pageId: String? = nil) {
        self.site = site
        self.spaceKey = spaceKey
        self.pageId = pageId
    }

    static let examples = """
        Paste the address of the space as your browser shows it, for example \
        https://example.atlassian.net/wiki/spaces/ENG/overview (Cloud) or \
        https://confluence.example.com/display/ENG (Data Center).
        """

    /// Whether the URL names only the site (no space, no page): see `allowingSiteURL` in
    /// ``parse(_:allowInsecureHTTP:allowingSiteURL:)``.
    public var isSiteOnly: Bool { spaceKey == nil && pageId == nil }

    /// Parses a space or page URL (or, with `allowingSiteURL`, a site URL).
    ///
    /// The kind of site comes from the path (`/wiki/…` is Cloud, anything else Data Center),
    /// never from the host name; ``ConfluenceClient/connect(to:credentials:governor:http:options:)``
    /// and ``ConfluenceClient/connect(toSite:credentials:governor:http:options:)`` confirm it
    /// with the API. Plain `http://` is refused unless the host is loopback or
    /// `allowInsecureHTTP` is set, because the token would cross the network in clear text.
    ///
    /// - Parameter allowingSiteURL: Accept the address of a whole site, such as
    ///   `https://x.atlassian.net/wiki`, `https://confluence.example.com/confluence` or its
    ///   `dashboard.action`: the result then has neither ``spaceKey`` nor ``pageId``
    ///   (``isSiteOnly``). The context path is everything up to a `wiki` segment (Cloud), or
    ///   the whole path without a trailing `*.action` page (Data Center). Without it such a URL
    ///   is refused with an example of a space address, as a space was expected.
    public static func parse(
        _ text: String, allowInsecureHTTP: Bool = false, allowingSiteURL: Bool = false
    ) throws(ConfluenceError) -> SpaceLocation {
        var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = URLRedaction.redact(trimmed)
        func invalid(_ why: String) -> ConfluenceError {
            ConfluenceError(.invalidURL, "“\(shown)” \(why). \(examples)")
        }
        guard !trimmed.isEmpty else { throw ConfluenceError(.invalidURL, "No URL given. \(examples)") }
        if !trimmed.contains("://") { trimmed = "https://" + trimmed }
        guard let components = URLComponents(string: trimmed), let rawHost = components.host, !rawHost.isEmpty else {
            throw invalid("is not a valid URL")
        }
        let scheme = (components.scheme ?? "").lowercased()
        guard scheme == "https" || scheme == "http" else { throw invalid("does not use https://") }
        let host = rawHost.contains(":") && !rawHost.hasPrefix("[") ? "[\(rawHost)]" : rawHost.lowercased()
        if scheme == "http" && !allowInsecureHTTP && !ConfluenceSite.isLoopback(host: host) {
            throw ConfluenceError(
                .insecureURL,
                "“\(shown)” uses plain http://, which would send your token unencrypted. Use the https:// address "
                    + "of the site, or allow insecure HTTP explicitly if this network is trusted.")
        }
        let segments = components.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let query = components.queryItems ?? []
        func queryValue(_ name: String) -> String? {
            query.first { $0.name.lowercased() == name.lowercased() }?.value.flatMap { $0.isEmpty ? nil : $0 }
        }

        // Everything before a known marker is the context path. Cloud's ends in /wiki (just
        // "/wiki" on the site, "/ex/confluence/<cloud id>/wiki" through the API gateway).
        let markers: Set<String> = ["display", "spaces", "pages", "x", "rest"]
        guard let markerIndex = segments.firstIndex(where: { markers.contains($0) }) else {
            if allowingSiteURL {
                return SpaceLocation(site: siteOnly(segments, scheme: scheme, host: host, port: components.port), spaceKey: nil)
            }
            throw invalid(segments.isEmpty || segments.last == "wiki"
                ? "points at the whole site, not at a space" : "does not look like a Confluence space or page address")
        }
        let contextPath = segments[..<markerIndex].map { "/" + $0 }.joined()
        let flavor: ConfluenceFlavor = contextPath.hasSuffix("/wiki") ? .cloud : .dataCenter
        let rest = Array(segments[markerIndex...])
        let site = ConfluenceSite(flavor: flavor, scheme: scheme, host: host, port: components.port, contextPath: contextPath)

        var key: String?
        var pageId: String?
        switch rest[0] {
        case "display":
            key = rest.count > 1 ? rest[1] : nil
        case "spaces":
            if rest.count > 1, rest[1].hasSuffix(".action") {
                key = queryValue("key") ?? queryValue("spaceKey")
            } else if rest.count > 1 {
                key = rest[1]
                if rest.count > 3, rest[2] == "pages", rest[3].allSatisfy(\.isNumber) { pageId = rest[3] }
            }
        case "pages":
            key = queryValue("spaceKey")
            pageId = queryValue("pageId")
            if key == nil && pageId == nil { throw invalid("does not name a space or a page") }
        case "rest":
            // /rest/api/space/KEY pasted from API docs or a browser tab.
            if rest.count > 3, rest[1] == "api", rest[2] == "space" { key = rest[3] }
        default:  // "x": tiny links hide both space and page
            throw invalid("is a short link (/x/…), which does not name the space; open it and paste the address it leads to")
        }
        if let candidate = key {
            guard isPlausibleKey(candidate) else { throw invalid("does not contain a valid space key") }
        } else if pageId == nil {
            throw invalid("does not name a space")
        }
        if let id = pageId, id.isEmpty || !id.allSatisfy(\.isNumber) { throw invalid("has a page id that is not a number") }
        return SpaceLocation(site: site, spaceKey: key, pageId: pageId)
    }

    /// The site of a URL without a space marker: Cloud up to the last `wiki` segment (which
    /// drops e.g. `/wiki/home`), otherwise Data Center with the whole path minus a trailing
    /// `*.action` page as its context path.
    private static func siteOnly(_ segments: [String], scheme: String, host: String, port: Int?) -> ConfluenceSite {
        if let wiki = segments.lastIndex(of: "wiki") {
            let contextPath = segments[...wiki].map { "/" + $0 }.joined()
            return ConfluenceSite(flavor: .cloud, scheme: scheme, host: host, port: port, contextPath: contextPath)
        }
        var path = segments
        if let last = path.last, last.hasSuffix(".action") || last.hasSuffix(".jsp") { path.removeLast() }
        let contextPath = path.map { "/" + $0 }.joined()
        return ConfluenceSite(flavor: .dataCenter, scheme: scheme, host: host, port: port, contextPath: contextPath)
    }

    /// Global keys are letters, digits and underscores; personal spaces start with `~`.
    static func isPlausibleKey(_ key: String) -> Bool {
        let body = key.hasPrefix("~") ? key.dropFirst() : Substring(key)
        guard !body.isEmpty, body.count <= 255 else { return false }
        let allowed = key.hasPrefix("~") ? "_-.@" : "_"
        return body.allSatisfy { ($0.isLetter || $0.isNumber || allowed.contains($0)) && $0.isASCII }
    }
}
