import Control
import Foundation

/// How a datastore's wait reads: in full for `status`, briefly for `list` and `watch`.
enum WaitText {
    /// `throttled until 18:42:10 UTC, in 14m 58s (HTTP 429 with Retry-After 900 s from https://…)`.
    static func full(_ wait: WaitStatus, now: Date = Date()) -> String {
        let until = wait.until.flatMap(date)
        let since = wait.since.flatMap(date)
        switch wait.kind {
        case "throttled":
            return "throttled until \(clock(until, now: now))\(remaining(until, now: now)) (\(wait.reason))"
        case "retrying":
            return "retrying after \(clock(until, now: now))\(remaining(until, now: now)) (\(attempt(wait))\(wait.reason))"
        case "awaiting_response":
            let elapsed = since.map { ", for \(Format.duration(now.timeIntervalSince($0)))" } ?? ""
            return "waiting for a response since \(clock(since, now: now))\(elapsed) (\(wait.reason))"
        default:
            return "\(wait.kind) (\(wait.reason))"
        }
    }

    /// `throttled 14m 58s`, `retry 2/6 in 30s`, `slow response 42s`.
    static func short(_ wait: WaitStatus, now: Date = Date()) -> String {
        let until = wait.until.flatMap(date)
        switch wait.kind {
        case "throttled":
            return "throttled" + (until.map { " " + Format.duration(max(0, $0.timeIntervalSince(now))) } ?? "")
        case "retrying":
            let count = wait.attempt.map { n in " \(n)" + (wait.maxAttempts.map { "/\($0)" } ?? "") } ?? ""
            return "retry\(count)" + (until.map { " in " + Format.duration(max(0, $0.timeIntervalSince(now))) } ?? "")
        case "awaiting_response":
            return "slow response" + (wait.since.flatMap(date).map { " " + Format.duration(max(0, now.timeIntervalSince($0))) } ?? "")
        default:
            return wait.kind
        }
    }

    private static func attempt(_ wait: WaitStatus) -> String {
        guard let attempt = wait.attempt else { return "" }
        return "attempt \(attempt)" + (wait.maxAttempts.map { " of \($0)" } ?? "") + "; "
    }

    private static func remaining(_ date: Date?, now: Date) -> String {
        guard let date else { return "" }
        return ", in \(Format.duration(max(0, date.timeIntervalSince(now))))"
    }

    /// `18:42:10 UTC` today, `2026-12-05 01:02:03 UTC` on another day; `?` when unknown.
    static func clock(_ date: Date?, now: Date) -> String {
        guard let date else { return "?" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let time = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let clock = String(format: "%02d:%02d:%02d UTC", time.hour ?? 0, time.minute ?? 0, time.second ?? 0)
        guard !calendar.isDate(date, inSameDayAs: now) else { return clock }
        return String(format: "%04d-%02d-%02d ", time.year ?? 0, time.month ?? 0, time.day ?? 0) + clock
    }

    private static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}
