import Foundation

/// A completed HTTP exchange: any status code counts as a response, not an error.
public struct HTTPResponse: Sendable {
    /// Status code of the final response (after redirects).
    public var status: Int
    /// Header fields of the final response.
    public var headers: HTTPHeaders
    /// The body, decoded from gzip/br/deflate when the server compressed it.
    public var body: Data
    /// The URL the final response came from, after redirects.
    public var finalURL: String
    /// Negotiated protocol, e.g. "HTTP/2" or "HTTP/1.1".
    public var httpVersion: String
    /// How many redirects were followed.
    public var redirectCount: Int
    /// Wall time of the whole transfer.
    public var totalTime: Duration
    /// Connections this transfer had to open; 0 means it reused a kept-alive or HTTP/2 one.
    public var newConnections: Int

    public init(
        status: Int, headers: HTTPHeaders, body: Data, finalURL: String,
        httpVersion: String = "HTTP/1.1", redirectCount: Int = 0, totalTime: Duration = .zero, newConnections: Int = 0
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.finalURL = finalURL
        self.httpVersion = httpVersion
        self.redirectCount = redirectCount
        self.totalTime = totalTime
        self.newConnections = newConnections
    }

    /// The delay asked for by `Retry-After` (delta-seconds or HTTP-date), measured from `now`.
    public func retryAfter(now: Date = Date()) -> TimeInterval? {
        headers["Retry-After"].flatMap { RetryAfter.parse($0, now: now) }
    }

    /// The body as UTF-8 text (lossy), for error messages and debugging.
    public var text: String { String(decoding: body, as: UTF8.self) }
}
