import Foundation
import HTTP
import Logging
import TributaryEvents

/// Sends authenticated GETs through the site's ``RateGovernor`` with bounded retries, turns
/// failures into ``ConfluenceError``s, and reports its waits to the options' observer.
struct Transport: Sendable {
    let site: ConfluenceSite
    let credentials: ConfluenceCredentials
    let http: HTTPClient
    let governor: RateGovernor
    let options: ConfluenceClient.Options
    let reporter: WaitReporter

    init(site: ConfluenceSite, credentials: ConfluenceCredentials, http: HTTPClient, governor: RateGovernor,
         options: ConfluenceClient.Options) {
        self.site = site
        self.credentials = credentials
        self.http = http
        self.governor = governor
        self.options = options
        reporter = WaitReporter(origin: site.origin, observer: options.waitObserver)
    }

    var classifier: ErrorClassifier { ErrorClassifier(site: site, credentials: credentials) }

    /// GETs `url` and decodes a 2xx JSON body as `T`.
    func json<T: Decodable>(_ type: T.Type, _ url: String, _ subject: Subject) async throws(ConfluenceError) -> (T, HTTPResponse) {
        let response = try await get(url, subject)
        if let fast = T.self as? any FastJSONDecodable.Type,
           let value = response.body.withUnsafeBytes({ fast.fastDecode($0) }) as? T {
            return (value, response)
        }
        do {
            return (try JSONDecoder().decode(T.self, from: response.body), response)
        } catch {
            throw classifier.malformed(response, error)
        }
    }

    /// GETs `url`; returns only 2xx responses, retrying throttles, 5xx and network failures.
    func get(_ url: String, _ subject: Subject) async throws(ConfluenceError) -> HTTPResponse {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let authorization = credentials.authorization { headers.add(name: "Authorization", value: authorization) }
        let request = HTTPRequest(
            url: url, headers: headers, connectTimeout: options.connectTimeout, timeout: options.requestTimeout,
            maxResponseBytes: options.maxResponseBytes)
        let config = governor.configuration
        var failures = 0
        var throttles = 0
        let waits = reporter.request()
        defer { waits.clear() }

        while true {
            let permit = try await admit(waits)
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await send(request, waits)
            } catch {
                let retry = error.isTransient && request.isIdempotent && failures < config.maxRetries
                await governor.release(permit, error.isTransient ? .transportError : .neutral)
                guard retry else { throw classifier.classify(error) }
                failures += 1
                let delay = await governor.retryDelay(attempt: failures)
                log(.warning, "Network failure talking to Confluence; retrying", url, [
                    "error": "\(error.kind)", "attempt": "\(failures)", "delay": "\(delay)",
                ])
                try await waitToRetry(after: delay, attempt: failures, of: config.maxRetries, Self.words(error), waits)
                continue
            }

            if response.redirectCount > 0, ErrorClassifier.leftEndpoint(requested: url, final: response.finalURL) {
                await governor.release(permit, .neutral)
                throw classifier.redirected(response, requested: url)
            }

            switch response.status {
            case 429:
                await governor.release(permit, .throttled(response.headers))
                guard request.isIdempotent, throttles < config.maxThrottleRetries else {
                    throw classifier.classify(response, subject: subject)
                }
                throttles += 1
                await governor.noteRetry()  // the next acquire waits for the shared deadline
                log(.notice, "Confluence is rate-limiting; pausing as asked", url, [
                    MetadataKey.retryAfter: "\(response.headers["Retry-After"] ?? "none")", "attempt": "\(throttles)",
                    MetadataKey.site: site.origin, MetadataKey.messageID: TributaryEvent.rateLimited.messageID,
                ])
            case 500, 502, 503, 504:
                await governor.release(permit, .serverError(status: response.status, response.headers))
                guard request.isIdempotent, failures < config.maxRetries else {
                    throw classifier.classify(response, subject: subject)
                }
                failures += 1
                log(.warning, "Confluence answered with a server error; retrying", url, [
                    "status": "\(response.status)", "attempt": "\(failures)",
                ])
                if response.status == 503, response.retryAfter() != nil {
                    await governor.noteRetry()  // the governor set a site-wide pause
                } else {
                    let delay = await governor.retryDelay(attempt: failures)
                    try await waitToRetry(after: delay, attempt: failures, of: config.maxRetries, "HTTP \(response.status)", waits)
                }
            default:
                await governor.release(permit, .success(response.headers))
                guard (200..<300).contains(response.status) else {
                    throw classifier.classify(response, subject: subject)
                }
                return response
            }
        }
    }

    /// A permit from the governor, reporting a long wait for it (throttled until…).
    private func admit(_ waits: RequestWaits) async throws(ConfluenceError) -> RateGovernor.Permit {
        do {
            guard reporter.isObserved else { return try await governor.acquire() }
            let permit = try await governor.acquire(reportingWaitsOver: options.waitReportThreshold) { wait in
                waits.show(.throttled(until: wait.until), reason: wait.reason)
            }
            waits.clear()
            return permit
        } catch {
            throw ConfluenceError(.cancelled, "The request to Confluence was cancelled.")
        }
    }

    /// Sends the request; one whose response is not complete after ``ConfluenceClient/Options/slowResponseAfter``
    /// is reported as awaited until it completes (a slow or trickling server).
    private func send(_ request: HTTPRequest, _ waits: RequestWaits) async throws(HTTPError) -> HTTPResponse {
        guard reporter.isObserved else { return try await http.send(request) }
        let since = Date()
        let threshold = options.slowResponseAfter
        // The path only: the origin is reported beside it, and a query may say too much.
        let path = URLComponents(string: request.url)?.path ?? URLRedaction.redact(request.url)
        let timer = Task {
            try? await Task.sleep(for: threshold)
            guard !Task.isCancelled else { return false }
            waits.show(.awaitingResponse(since: since), reason: "GET \(path)")
            return true
        }
        let result: Result<HTTPResponse, HTTPError>
        do throws(HTTPError) {
            result = .success(try await http.send(request))
        } catch {
            result = .failure(error)
        }
        timer.cancel()
        // The timer has either reported or given up once it returns: clear after it, never before.
        if await timer.value { waits.clear() }
        return try result.get()
    }

    /// Waits before retry number `attempt` (of `maxRetries`), reporting a long wait as retrying.
    private func waitToRetry(after delay: Duration, attempt: Int, of maxRetries: Int, _ reason: String, _ waits: RequestWaits)
        async throws(ConfluenceError) {
        if delay > options.waitReportThreshold {
            // Attempt n of m counts the first try: retry 1 is attempt 2.
            waits.show(.retrying(until: Date().addingTimeInterval(delay.seconds), attempt: attempt + 1, maxAttempts: maxRetries + 1),
                       reason: reason)
        }
        try await pause(delay)
        waits.clear()
    }

    /// A transport failure in a few words, for a retry's reason.
    static func words(_ error: HTTPError) -> String {
        switch error.kind {
        case .couldNotResolveHost: "the host name does not resolve"
        case .connectFailed: "could not connect"
        case .connectTimeout: "connecting timed out"
        case .timedOut: "the request timed out"
        case .stalled: "the response stalled"
        case .connectionLost: error.truncated ? "a response ended early" : "the connection was lost"
        case .proxy: "the proxy failed"
        default: "the request failed"
        }
    }

    private func log(_ level: Logger.Level, _ message: Logger.Message, _ url: String, _ metadata: [String: String]) {
        var fields: Logger.Metadata = ["url": .string(URLRedaction.redact(url))]
        for (key, value) in metadata { fields[key] = .string(value) }
        options.logger.log(level: level, message, metadata: fields)
    }

    private func pause(_ delay: Duration) async throws(ConfluenceError) {
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw ConfluenceError(.cancelled, "The request to Confluence was cancelled.")
        }
    }
}
