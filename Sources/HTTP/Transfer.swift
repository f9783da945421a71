import CCurl
import Foundation

/// One request's easy handle and the buffers its callbacks fill.
///
/// Built on the caller's thread; once submitted, touched only by the driver thread, except
/// `cancelRequested`, which only the driver's lock guards. Hence `@unchecked Sendable`.
final class Transfer: @unchecked Sendable {
    typealias Completion = CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>

    let easy: UnsafeMutableRawPointer
    let url: String
    private let maxBytes: Int
    private var body = Data()
    private var headers = HTTPHeaders()
    private var exceededCap = false
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    var continuation: Completion?
    /// Set for a streamed response: body bytes go there as they arrive instead of into `body`.
    let channel: BodyChannel?
    /// Set under the driver's lock when the caller's task is cancelled.
    var cancelRequested = false

    private init(easy: UnsafeMutableRawPointer, url: String, maxBytes: Int, channel: BodyChannel?) {
        self.easy = easy
        self.url = url
        self.maxBytes = maxBytes
        self.channel = channel
        errorBuffer = .allocate(capacity: Int(tr_curl_error_size))
        errorBuffer.initialize(repeating: 0, count: Int(tr_curl_error_size))
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Creates a configured easy handle for `request`.
    static func make(
        _ request: HTTPRequest, configuration: HTTPClient.Configuration, channel: BodyChannel? = nil
    ) throws(HTTPError) -> Transfer {
        let scheme = request.url.prefix { $0 != ":" }.lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw HTTPError(.invalidRequest, url: request.url, detail: "only http and https URLs are supported")
        }
        guard let easy = curl_easy_init() else {
            throw HTTPError(.other, url: request.url, detail: "libcurl could not create a handle")
        }
        let transfer = Transfer(easy: easy, url: request.url, maxBytes: request.maxResponseBytes, channel: channel)
        try transfer.configure(request, configuration)
        if channel != nil {
            // A stream is bounded by what waits unread (the channel's cap), not by its total size.
            let code = tr_curl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, 0)
            if code != CURLE_OK {
                throw HTTPError(.invalidRequest, url: request.url, detail: String(cString: curl_easy_strerror(code)))
            }
        }
        return transfer
    }

    private func configure(_ request: HTTPRequest, _ configuration: HTTPClient.Configuration) throws(HTTPError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var codes: [CURLcode] = [
            tr_curl_easy_setopt_string(easy, CURLOPT_URL, request.url),
            // Signals are useless in a threaded process; the threaded resolver still times out.
            tr_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            tr_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
            tr_curl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"),
            tr_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, request.maxRedirects > 0 ? 1 : 0),
            tr_curl_easy_setopt_long(easy, CURLOPT_MAXREDIRS, max(0, request.maxRedirects)),
            tr_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)),
            tr_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)),
            // "" offers every encoding this libcurl decodes (gzip, deflate, br, zstd).
            tr_curl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""),
            tr_curl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes)),
            tr_curl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)),
            tr_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1),
            tr_curl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent),
            tr_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer),
            tr_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context),
            tr_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context),
            tr_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
            },
            tr_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            },
        ]
        if request.url.prefix(6).lowercased() == "https:" {
            // Wait for an HTTP/2 connection to multiplex on rather than opening another one.
            codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1))
        }
        if let limit = request.lowSpeedLimit {
            codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, limit.bytesPerSecond))
            codes.append(tr_curl_easy_setopt_long(
                easy, CURLOPT_LOW_SPEED_TIME, max(1, Self.milliseconds(limit.duration) / 1000)))
        }
        if let caBundle = configuration.caBundlePath {
            codes.append(tr_curl_easy_setopt_string(easy, CURLOPT_CAINFO, caBundle))
        }
        if let age = configuration.maxConnectionAge {
            codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_MAXLIFETIME_CONN, max(1, Self.milliseconds(age) / 1000)))
        }
        codes += configureMethod(request)

        for field in request.headers {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        if request.body != nil {
            headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
        }
        codes.append(tr_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            throw HTTPError(.invalidRequest, url: url, detail: String(cString: curl_easy_strerror(failed)))
        }
    }

    private func configureMethod(_ request: HTTPRequest) -> [CURLcode] {
        var codes: [CURLcode] = []
        switch request.method {
        case .get: codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .head: codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case .post: codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_POST, 1))
        case .put, .delete, .patch:
            codes.append(tr_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        }
        if let body = request.body {
            codes.append(tr_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
            codes.append(body.withUnsafeBytes { bytes in
                tr_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            })
        } else if request.method == .post {
            codes.append(tr_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, 0))
        }
        return codes
    }

    // MARK: Callbacks (driver thread)

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let channel {
            var status = 0
            _ = tr_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            guard channel.deliver(Array(bytes), status: status, headers: headers) else {
                exceededCap = true
                return 0
            }
            return bytes.count
        }
        if body.count + bytes.count > maxBytes {
            exceededCap = true
            return 0  // makes libcurl abort with CURLE_WRITE_ERROR
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    private func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            headers = HTTPHeaders()  // a new response in a redirect chain (or after 100 Continue)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name: name, value: value)
        }
    }

    // MARK: Completion (driver thread)

    /// Turns libcurl's verdict into the caller's result.
    func result(for code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        guard code == CURLE_OK else { return .failure(error(for: code)) }
        var status = 0
        _ = tr_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>?
        _ = tr_curl_easy_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &effective)
        var version = 0
        _ = tr_curl_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
        var redirects = 0
        _ = tr_curl_easy_getinfo_long(easy, CURLINFO_REDIRECT_COUNT, &redirects)
        var micros: curl_off_t = 0
        _ = tr_curl_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
        var connects = 0
        _ = tr_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        return .success(HTTPResponse(
            status: status,
            headers: headers,
            body: body,
            finalURL: effective.map { String(cString: $0) } ?? url,
            httpVersion: Self.versionName(version),
            redirectCount: redirects,
            totalTime: .microseconds(micros),
            newConnections: connects
        ))
    }

    private func error(for code: CURLcode) -> HTTPError {
        let message = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: HTTPError.Kind
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST: kind = .couldNotResolveHost
        case CURLE_COULDNT_RESOLVE_PROXY: kind = .proxy
        case CURLE_COULDNT_CONNECT: kind = .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            var connectMicros: curl_off_t = 0
            _ = tr_curl_easy_getinfo_off_t(easy, CURLINFO_CONNECT_TIME_T, &connectMicros)
            // A reused connection reports no connect time; it got as far as sending the request.
            var pretransferMicros: curl_off_t = 0
            _ = tr_curl_easy_getinfo_off_t(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransferMicros)
            if connectMicros == 0 && pretransferMicros == 0 {
                kind = .connectTimeout
            } else {
                kind = message.contains("too slow") ? .stalled : .timedOut
            }
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED:
            kind = .tls
        case CURLE_TOO_MANY_REDIRECTS: kind = .tooManyRedirects
        case CURLE_FILESIZE_EXCEEDED: kind = .responseTooLarge
        case CURLE_WRITE_ERROR: kind = exceededCap ? .responseTooLarge : .other
        case CURLE_PARTIAL_FILE:
            return HTTPError(.connectionLost, url: url, detail: message, truncated: true)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            kind = .connectionLost
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: kind = .invalidRequest
        case CURLE_ABORTED_BY_CALLBACK: kind = .cancelled
        default: kind = .other
        }
        return HTTPError(kind, url: url, detail: message)
    }

    private static func versionName(_ version: Int) -> String {
        switch version {
        case Int(CURL_HTTP_VERSION_1_0): "HTTP/1.0"
        case Int(CURL_HTTP_VERSION_2_0): "HTTP/2"
        case Int(CURL_HTTP_VERSION_3): "HTTP/3"
        default: "HTTP/1.1"
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
