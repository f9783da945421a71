import Foundation

/// Parsing of the `Retry-After` header (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// Seconds to wait from `now`: the value is either delta-seconds ("120") or an HTTP-date
    /// ("Wed, 21 Oct 2015 07:28:00 GMT", or the obsolete RFC 850 and asctime forms).
    /// A date in the past gives 0. Returns nil when the value is neither.
    public static func parse(_ value: String, now: Date = Date()) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite {
            return max(0, seconds)
        }
        guard let date = httpDate(trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// Parses an HTTP-date in any of its three historical forms.
    public static func httpDate(_ text: String) -> Date? {
        let formats = [
            "EEE, dd MMM yyyy HH:mm:ss zzz",   // IMF-fixdate
            "EEEE, dd-MMM-yy HH:mm:ss zzz",    // RFC 850
            "EEE MMM d HH:mm:ss yyyy",         // asctime
        ]
        // DateFormatter is not Sendable; one per call is cheap next to a network round trip.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in formats {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
