import Foundation
import HTTP

/// The API family a site speaks.
public enum ConfluenceFlavor: String, Sendable, Hashable, Codable {
    /// Atlassian Cloud: REST v2 under `/wiki/api/v2`, v1 under `/wiki/rest/api`.
    case cloud
    /// Data Center / Server: REST v1 only, under `<context path>/rest/api`.
    case dataCenter
}

/// Where a Confluence instance lives and which API it speaks.
public struct ConfluenceSite: Sendable, Hashable, Codable, CustomStringConvertible {
    public var flavor: ConfluenceFlavor
    /// "https", or "http" for loopback and explicitly allowed hosts.
    public var scheme: String
    /// Host name or address; IPv6 literals keep their brackets.
    public var host: String
    public var port: Int?
    /// Path prefix of the web application: "/wiki" on Cloud, "" or e.g. "/confluence" on Data Center.
    public var contextPath: String

    public init(flavor: ConfluenceFlavor, scheme: String = "https", host: String, port: Int? = nil, contextPath: String) {
        self.flavor = flavor
        self.scheme = scheme
        self.host = host
        self.port = port
        self.contextPath = contextPath
    }

    /// `scheme://host[:port]`: what v2 `next` links are joined to.
    public var origin: String {
        "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    /// Origin plus context path: the site's web base, e.g. `https://x.atlassian.net/wiki`.
    public var baseURL: String { origin + contextPath }

    /// The REST v1 root, e.g. `https://x.atlassian.net/wiki/rest/api`.
    public var restV1: String { baseURL + "/rest/api" }

    /// The REST v2 root (Cloud only), e.g. `https://x.atlassian.net/wiki/api/v2`.
    public var restV2: String { baseURL + "/api/v2" }

    /// A browser URL for a `webui` link as the API returns it (relative to the base).
    public func webURL(_ webui: String) -> String {
        webui.hasPrefix("http://") || webui.hasPrefix("https://") ? webui : baseURL + webui
    }

    /// Whether the host is this machine, where plain http cannot be sniffed on the wire.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    static func isLoopback(host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.")
    }

    public var description: String {
        "\(flavor == .cloud ? "Confluence Cloud" : "Confluence Data Center") at \(baseURL)"
    }
}
