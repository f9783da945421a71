import Foundation
import HTTP
import Logging
import TributaryEvents

/// Sends authenticated GETs through the site's ``RateGovernor`` with bounded retries, and
/// turns failures into ``ConfluenceError``s.
struct Transport: Sendable {
    let site: ConfluenceSite
    let credentials: ConfluenceCredentials
    let http: HTTPClient
    let governor: RateGovernor
    let options: ConfluenceClient.Options

    var classifier: ErrorClassifier { ErrorClassifier(site: site, credentials: credentials) }

    /// GETs `url` and decodes a 2xx JSON body as `T`.
    func json<T: Decodable>(_ type: T.Type, _ url: String, _ subject: Subject) async throws(ConfluenceError) -> (T, HTTPResponse) {
        let response = try await get(url, subject)
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

        while true {
            let permit: RateGovernor.Permit
            do {
                permit = try await governor.acquire()
            } catch {
                throw ConfluenceError(.cancelled, "The request to Confluence was cancelled.")
            }
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await http.send(request)
            } catch {
                let retry = error.isTransient && request.isIdempotent && failures < config.maxRetries
                await governor.release(permit, error.isTransient ? .transportError : .neutral)
                guard retry else { throw classifier.classify(error) }
                failures += 1
                let delay = await governor.retryDelay(attempt: failures)
                log(.warning, "Network failure talking to Confluence; retrying", url, [
                    "error": "\(error.kind)", "attempt": "\(failures)", "delay": "\(delay)",
                ])
                try await pause(delay)
                continue
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
                    try await pause(await governor.retryDelay(attempt: failures))
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
