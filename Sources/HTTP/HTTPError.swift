/// Why a request produced no HTTP response. Descriptions are meant for people and never
/// contain credentials: URLs are shown without userinfo or query.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure classes callers act on.
    public enum Kind: Sendable, Equatable {
        /// The request could not be built (bad URL, unsupported scheme or option).
        case invalidRequest
        /// DNS lookup of the host (or proxy) failed.
        case couldNotResolveHost
        /// The TCP connection was refused or could not be made.
        case connectFailed
        /// TCP or TLS handshake did not finish within the connect timeout.
        case connectTimeout
        /// The whole transfer exceeded its timeout.
        case timedOut
        /// The server sent too little data for too long (low-speed limit).
        case stalled
        /// Certificate verification or TLS negotiation failed.
        case tls
        /// More redirects than allowed.
        case tooManyRedirects
        /// The body exceeded the request's size cap; the transfer was aborted.
        case responseTooLarge
        /// The connection broke mid-transfer (reset, empty reply, HTTP/2 stream error).
        case connectionLost
        /// The proxy refused or failed the tunnel.
        case proxy
        /// The calling task was cancelled; the transfer was aborted.
        case cancelled
        /// Any other libcurl failure.
        case other
    }

    public var kind: Kind
    /// The request URL without userinfo and query, safe to show.
    public var url: String
    /// libcurl's own explanation, credentials removed.
    public var detail: String
    /// For ``Kind/connectionLost``: the response ended before the length it announced (the
    /// server answered, then its body fell short), rather than the connection breaking first.
    public var truncated: Bool

    public init(_ kind: Kind, url: String, detail: String = "", truncated: Bool = false) {
        self.kind = kind
        self.url = URLRedaction.redact(url)
        self.detail = URLRedaction.scrub(detail)
        self.truncated = truncated
    }

    /// Whether trying again later may succeed (network trouble rather than a mistake).
    public var isTransient: Bool {
        switch kind {
        case .couldNotResolveHost, .connectFailed, .connectTimeout, .timedOut, .stalled, .connectionLost, .proxy:
            true
        case .invalidRequest, .tls, .tooManyRedirects, .responseTooLarge, .cancelled, .other:
            false
        }
    }

    public var description: String {
        let host = URLRedaction.host(of: url) ?? url
        let what: String
        switch kind {
        case .invalidRequest: what = "Invalid request for \(url)"
        case .couldNotResolveHost: what = "Could not resolve host \(host); check the address and DNS or proxy settings"
        case .connectFailed: what = "Could not connect to \(host); is the server up and reachable from here?"
        case .connectTimeout: what = "Connecting to \(host) timed out; check network, firewall and proxy settings"
        case .timedOut: what = "Request to \(url) timed out"
        case .stalled: what = "Transfer from \(url) stalled (server sent too little data for too long)"
        case .tls: what = "TLS with \(host) failed; check the certificate and the system CA bundle"
        case .tooManyRedirects: what = "Too many redirects from \(url)"
        case .responseTooLarge: what = "Response from \(url) is larger than the allowed maximum"
        case .connectionLost:
            what = truncated ? "Response from \(url) ended before the length it announced" : "Connection to \(host) was lost mid-transfer"
        case .proxy: what = "Proxy failed while reaching \(host); check the https_proxy/http_proxy settings"
        case .cancelled: what = "Request to \(url) was cancelled"
        case .other: what = "Request to \(url) failed"
        }
        return detail.isEmpty ? what : "\(what) (\(detail))"
    }
}
