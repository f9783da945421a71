/// One HTTP request, with the limits that bound its transfer.
public struct HTTPRequest: Sendable {
    /// The request method. Only GET and HEAD are considered safe to retry by callers.
    public enum Method: String, Sendable {
        case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE", patch = "PATCH"
    }

    /// Aborts a transfer whose speed stays below `bytesPerSecond` for `duration` (a stalled server).
    public struct LowSpeedLimit: Sendable, Equatable {
        public var bytesPerSecond: Int
        public var duration: Duration

        public init(bytesPerSecond: Int, duration: Duration) {
            self.bytesPerSecond = bytesPerSecond
            self.duration = duration
        }
    }

    public var method: Method
    /// Absolute `http` or `https` URL. It should not carry credentials; use a header.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?
    /// Longest wait for the TCP and TLS handshakes.
    public var connectTimeout: Duration
    /// Longest time for the whole transfer, redirects included.
    public var timeout: Duration
    /// Stall detection; nil turns it off.
    public var lowSpeedLimit: LowSpeedLimit?
    /// The transfer is aborted with ``HTTPError/Kind/responseTooLarge`` past this many
    /// (decoded) body bytes.
    public var maxResponseBytes: Int
    /// Redirects followed before giving up; 0 returns the 3xx response itself.
    public var maxRedirects: Int

    public init(
        method: Method = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8]? = nil,
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(120),
        lowSpeedLimit: LowSpeedLimit? = LowSpeedLimit(bytesPerSecond: 1, duration: .seconds(30)),
        maxResponseBytes: Int = 64 << 20,
        maxRedirects: Int = 5
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.lowSpeedLimit = lowSpeedLimit
        self.maxResponseBytes = maxResponseBytes
        self.maxRedirects = maxRedirects
    }

    /// Whether repeating the request cannot change server state (RFC 9110 §9.2.2).
    public var isIdempotent: Bool {
        switch method {
        case .get, .head, .put, .delete: true
        case .post, .patch: false
        }
    }
}
