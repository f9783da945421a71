import Foundation
import HTTP

/// What a response's rate-limit headers say, in both the Cloud and the Data Center dialects.
public struct RateLimitSignals: Sendable, Equatable {
    /// `Retry-After`, as seconds from the response (delta-seconds or HTTP-date).
    public var retryAfter: TimeInterval?
    /// `X-RateLimit-Remaining`.
    public var remaining: Int?
    /// `X-RateLimit-Limit`: the most requests the server's bucket holds.
    public var limit: Int?
    /// `X-RateLimit-Reset` (Cloud, ISO 8601 with minute precision).
    public var reset: Date?
    /// `X-RateLimit-NearLimit: true` (Cloud: under 20 % of the budget left).
    public var nearLimit: Bool
    /// Requests per second implied by `X-RateLimit-FillRate` / `-Interval-Seconds` (Data Center).
    public var serverRate: Double?

    public init(headers: HTTPHeaders, now: Date = Date()) {
        retryAfter = headers["Retry-After"].flatMap { RetryAfter.parse($0, now: now) }
        remaining = headers["X-RateLimit-Remaining"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { max(0, $0) }
        limit = headers["X-RateLimit-Limit"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 > 0 ? $0 : nil }
        reset = ISODate.parse(headers["X-RateLimit-Reset"]?.trimmingCharacters(in: .whitespaces))
        nearLimit = headers["X-RateLimit-NearLimit"]?.lowercased().contains("true") ?? false
        if let fill = headers["X-RateLimit-FillRate"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
           fill > 0 {
            let interval = headers["X-RateLimit-Interval-Seconds"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 1
            serverRate = fill / max(interval, 0.001)
        } else {
            serverRate = nil
        }
    }
}
