import Foundation
import HTTP
import Synchronization
import Testing
@testable import Confluence

/// Records what a client reports to its wait observer.
final class WaitLog: Sendable {
    private let entries = Mutex<[ClientWait?]>([])

    var observer: @Sendable (ClientWait?) -> Void {
        { [self] wait in entries.withLock { $0.append(wait) } }
    }

    var all: [ClientWait?] { entries.withLock { $0 } }
}

/// Issue #13 defect 8: the client tells what it waits for, and until when, as each wait starts.
@Suite("Client wait reports")
struct ClientWaitTests {
    static func client(_ origin: String, governor: RateGovernor, log: WaitLog, threshold: Duration = .seconds(1),
                       slowResponseAfter: Duration = .seconds(5)) -> ConfluenceClient {
        let port = Int(origin.split(separator: ":").last ?? "1")
        let site = ConfluenceSite(flavor: .cloud, scheme: "http", host: "127.0.0.1", port: port, contextPath: "/wiki")
        return ConfluenceClient(
            site: site, credentials: .apiToken(email: "e@x.io", token: "ATATT-wait-secret"), governor: governor,
            options: .init(waitObserver: log.observer, waitReportThreshold: threshold, slowResponseAfter: slowResponseAfter))
    }

    @Test("a 429 with Retry-After 900 is reported as throttled until then, and cleared when the request moves on")
    func throttledUntilRetryAfter() async throws {
        let governor = RateGovernor(
            configuration: .init(requestsPerSecond: 0, maxRetries: 0, maxThrottleRetries: 1, maxRetryAfter: .seconds(900)),
            clock: VirtualClock())
        let log = WaitLog()
        try await CannedServer.with(status: 429, contentType: "application/json", body: "{}", headers: ["Retry-After": "900"]) { server in
            let start = Date()
            await #expect(throws: ConfluenceError.self) { try await Self.client(server.origin, governor: governor, log: log).space(key: "ENG") }
            let waits = log.all
            #expect(waits.count == 2 && waits.last == .some(nil), "\(waits)")
            let first = try #require(waits.first ?? nil)
            guard case .throttled(let until) = first.kind else { Issue.record("not throttled: \(first)"); return }
            #expect(until.timeIntervalSince(start) > 895 && until.timeIntervalSinceNow < 905, "until \(until)")
            #expect(first.reason == "HTTP 429 with Retry-After 900 s")
            #expect(first.origin == server.origin)
        }
    }

    @Test("a Retry-After beyond the cap says so")
    func cappedRetryAfter() async throws {
        let governor = RateGovernor(
            configuration: .init(requestsPerSecond: 0, maxRetries: 0, maxThrottleRetries: 1, maxRetryAfter: .seconds(900)),
            clock: VirtualClock())
        let log = WaitLog()
        try await CannedServer.with(status: 429, contentType: "application/json", body: "{}", headers: ["Retry-After": "86400"]) { server in
            await #expect(throws: ConfluenceError.self) { try await Self.client(server.origin, governor: governor, log: log).space(key: "ENG") }
            let first = try #require(log.all.first ?? nil)
            #expect(first.reason == "HTTP 429 with Retry-After 86400 s (capped at 900 s)")
        }
    }

    @Test("retries after 5xx are reported with attempt n of m, each cleared when it ends")
    func retryingWithAttempts() async throws {
        let log = WaitLog()
        try await CannedServer.with(status: 503, contentType: "text/plain", body: "down") { server in
            let client = Self.client(server.origin, governor: RateGovernor(configuration: .fast(maxRetries: 2)), log: log, threshold: .zero)
            let start = Date()
            await #expect(throws: ConfluenceError.self) { try await client.space(key: "ENG") }
            let waits = log.all
            #expect(waits.count == 4, "\(waits)")
            var attempts: [Int] = []
            for case let wait? in waits {
                guard case .retrying(let until, let attempt, let maxAttempts) = wait.kind else { Issue.record("\(wait)"); continue }
                #expect(until > start && maxAttempts == 3 && wait.reason == "HTTP 503")
                attempts.append(attempt)
            }
            #expect(attempts == [2, 3])
            #expect(waits.last == .some(nil))
        }
    }

    @Test("a response that trickles in is reported as awaited since the request went, then cleared")
    func trickle() async throws {
        let log = WaitLog()
        try await CannedServer.with(status: 200, contentType: "application/json", body: #"{"results": []}"#, trickle: .milliseconds(80)) { server in
            let client = Self.client(server.origin, governor: RateGovernor(configuration: .fast()), log: log,
                                     slowResponseAfter: .milliseconds(300))
            let start = Date()
            _ = try? await client.space(key: "ENG")
            let waits = log.all
            #expect(waits.count == 2 && waits.last == .some(nil), "\(waits)")
            let first = try #require(waits.first ?? nil)
            guard case .awaitingResponse(let since) = first.kind else { Issue.record("\(first)"); return }
            #expect(abs(since.timeIntervalSince(start)) < 1)
            #expect(first.reason == "GET /wiki/api/v2/spaces")
        }
    }

    @Test("short waits are not reported")
    func shortWaitsStaySilent() async throws {
        let log = WaitLog()
        try await CannedServer.with(status: 503, contentType: "text/plain", body: "down") { server in
            let client = Self.client(server.origin, governor: RateGovernor(configuration: .fast(maxRetries: 2)), log: log)
            await #expect(throws: ConfluenceError.self) { try await client.space(key: "ENG") }
            #expect(log.all.isEmpty)
        }
    }
}

@Suite("Rate governor wait reports")
struct GovernorWaitTests {
    final class Reports: Sendable {
        let waits = Mutex<[RateGovernor.AdmissionWait]>([])
        var report: @Sendable (RateGovernor.AdmissionWait) -> Void { { [self] wait in waits.withLock { $0.append(wait) } } }
        var all: [RateGovernor.AdmissionWait] { waits.withLock { $0 } }
    }

    @Test("pacing at a slow configured rate is reported; a wait under the threshold is not")
    func pacing() async throws {
        let reports = Reports()
        let slow = RateGovernor(configuration: .init(requestsPerSecond: 0.2, burst: 1), clock: VirtualClock())
        for _ in 0..<2 {
            let permit = try await slow.acquire(reportingWaitsOver: .seconds(1), reports.report)
            await slow.release(permit, .success([:]))
        }
        let wait = try #require(reports.all.first)
        #expect(reports.all.count == 1)
        #expect(wait.reason == "pacing at 0.2 requests/s (the configured rate limit)")
        #expect(wait.until.timeIntervalSinceNow > 4 && wait.until.timeIntervalSinceNow < 6)

        let quick = Reports()
        let fast = RateGovernor(configuration: .init(requestsPerSecond: 2, burst: 1), clock: VirtualClock())
        for _ in 0..<3 {
            let permit = try await fast.acquire(reportingWaitsOver: .seconds(1), quick.report)
            await fast.release(permit, .success([:]))
        }
        #expect(quick.all.isEmpty)
    }

    @Test("a 503 with Retry-After pauses the site with that reason; a restored pause says so")
    func pauseReasons() async throws {
        let reports = Reports()
        let governor = RateGovernor(configuration: .init(requestsPerSecond: 0), clock: VirtualClock())
        let permit = try await governor.acquire()
        await governor.release(permit, .serverError(status: 503, ["Retry-After": "30"]))
        await governor.release(try await governor.acquire(reportingWaitsOver: .seconds(1), reports.report), .success([:]))
        #expect(reports.all.map(\.reason) == ["HTTP 503 with Retry-After 30 s"])

        let restored = Reports()
        let seeded = RateGovernor(configuration: .init(), backoffUntil: Date().addingTimeInterval(120), clock: VirtualClock())
        _ = try await seeded.acquire(reportingWaitsOver: .seconds(1), restored.report)
        #expect(restored.all.map(\.reason) == [RateGovernor.restoredPauseReason])
    }
}

@Suite("Wait reporter")
struct WaitReporterTests {
    @Test("with several requests waiting, the most telling wait is shown until none is left")
    func mostTelling() {
        let log = WaitLog()
        let reporter = WaitReporter(origin: "https://x.example", observer: log.observer)
        let throttled = reporter.request(), slow = reporter.request()
        slow.show(.awaitingResponse(since: Date()), reason: "GET /a")
        throttled.show(.throttled(until: Date().addingTimeInterval(60)), reason: "HTTP 429 with Retry-After 60 s")
        slow.clear()  // the throttle still stands: nothing new to say
        throttled.clear()
        let kinds = log.all.map { wait -> String in
            switch wait?.kind {
            case .awaitingResponse: "awaiting"
            case .throttled: "throttled"
            case .retrying: "retrying"
            case nil: "none"
            }
        }
        #expect(kinds == ["awaiting", "throttled", "none"])
    }
}
