import Foundation
@testable import Confluence

extension RateGovernor.Configuration {
    /// Production shape with delays shrunk so failure paths run in milliseconds.
    static func fast(rate: Double = 0, maxRetries: Int = 6, maxThrottleRetries: Int = 6) -> Self {
        .init(
            requestsPerSecond: rate, burst: 1, maxConcurrency: 8, maxRetries: maxRetries,
            maxThrottleRetries: maxThrottleRetries,
            backoff: Backoff(base: .milliseconds(20), cap: .milliseconds(200)),
            maxRetryAfter: .seconds(2))
    }
}

/// Asserts helper: every message must be free of these secrets.
func leaks(_ message: String, _ secrets: [String]) -> Bool {
    secrets.contains { !$0.isEmpty && message.contains($0) }
}

func basicBlob(_ user: String, _ secret: String) -> String {
    Data("\(user):\(secret)".utf8).base64EncodedString()
}
