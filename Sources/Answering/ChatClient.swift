import Foundation
import HTTP

/// One message of a chat-completions conversation.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Tokens a model reports for one completion.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    public var total: Int { promptTokens + completionTokens }
}

/// Where and how to reach an OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp's
/// server, vLLM or a hosted service).
public struct ChatEndpoint: Sendable {
    /// The API's base URL, ending in `/v1` (`http://localhost:11434/v1` for Ollama).
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …` when set. Never shown in errors or descriptions.
    public var apiKey: String?
    /// The longest a whole answer may take.
    public var timeout: Duration
    /// The longest the model may stay silent (before its first token or between two); by
    /// default the timeout, at most 60 s.
    public var silenceTimeout: Duration
    /// Sampling temperature: low, so answers keep to the passages.
    public var temperature: Double

    public init(
        baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120),
        silenceTimeout: Duration? = nil, temperature: Double = 0.1
    ) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.silenceTimeout = silenceTimeout ?? min(timeout, .seconds(60))
        self.temperature = temperature
    }

    /// The base URL as it may be shown or logged: without userinfo, query or fragment.
    public static func displayURL(_ url: String) -> String {
        URLRedaction.redact(url)
    }

    /// `{baseURL}/chat/completions`.
    public var completionsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }
}

/// What a model answered.
public struct ChatCompletion: Sendable, Equatable {
    public var text: String
    /// Nil when the server reported no usage.
    public var usage: TokenUsage?
    /// The model name the server reported, when it did.
    public var model: String?

    public init(text: String, usage: TokenUsage?, model: String?) {
        self.text = text
        self.usage = usage
        self.model = model
    }
}

/// Why a model gave no answer. Descriptions are for people and never contain the API key.
public enum ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401 or 403: the key is missing, wrong or not allowed to use the model.
    case unauthorized(status: Int)
    /// Any other non-2xx status, with the server's message when it gave one.
    case httpStatus(Int, message: String?)
    /// No answer within the timeout (or the model went silent for too long).
    case timeout(seconds: Int)
    /// The server could not be reached (DNS, refused connection, TLS, proxy).
    case unreachable(host: String, detail: String)
    /// The server answered something that is not a chat completion.
    case badResponse(String)
    case cancelled

    public var description: String {
        switch self {
        case .unauthorized(let status): "the model refused the API key (HTTP \(status))"
        case .httpStatus(let status, let message):
            "the model answered HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        case .timeout(let seconds): "the model did not answer within \(seconds) s"
        case .unreachable(let host, let detail): "the model at \(host) is unreachable (\(detail))"
        case .badResponse(let detail): "the model's answer could not be read (\(detail))"
        case .cancelled: "the question was cancelled"
        }
    }
}

/// A chat-completions client: streams the answer as server-sent events, and reads a whole JSON
/// completion too (a server that does not stream, or asked not to).
public struct ChatClient: Sendable {
    private let http: HTTPClient
    /// Bytes of an answer kept at most (a runaway model cannot fill memory).
    public var maxAnswerBytes = 256 << 10

    public init(http: HTTPClient = .shared) {
        self.http = http
    }

    /// Asks `endpoint` to complete `messages`. With `stream`, `onDelta` receives each piece of
    /// text as it arrives; the returned completion holds the whole text either way.
    public func complete(
        _ messages: [ChatMessage], endpoint: ChatEndpoint, stream: Bool = true,
        onDelta: @Sendable (String) -> Void = { _ in }
    ) async throws(ChatError) -> ChatCompletion {
        let request = try makeRequest(messages, endpoint: endpoint, stream: stream)
        let response: HTTPStreamingResponse
        do {
            response = try await http.stream(request, silenceTimeout: endpoint.silenceTimeout)
        } catch {
            throw Self.map(error, endpoint: endpoint)
        }
        defer { response.cancel() }
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.collect(upTo: 8_192)) ?? []
            throw Self.statusError(response.status, body: body, endpoint: endpoint)
        }
        let contentType = response.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            return try await readEvents(response, endpoint: endpoint, onDelta: onDelta)
        }
        let body: [UInt8]
        do {
            body = try await response.collect(upTo: maxAnswerBytes + 1)
        } catch {
            throw Self.map(error, endpoint: endpoint)
        }
        guard body.count <= maxAnswerBytes else { throw .badResponse("the answer is larger than \(maxAnswerBytes >> 10) KiB") }
        let completion = try Self.decodeWhole(body)
        if stream, !completion.text.isEmpty { onDelta(completion.text) }
        return completion
    }

    private func makeRequest(_ messages: [ChatMessage], endpoint: ChatEndpoint, stream: Bool) throws(ChatError) -> HTTPRequest {
        let body = RequestBody(
            model: endpoint.model, messages: messages, stream: stream, temperature: endpoint.temperature,
            streamOptions: stream ? .init(includeUsage: true) : nil)
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(body)
        } catch {
            throw .badResponse("the request could not be encoded")
        }
        var headers: HTTPHeaders = [
            "Content-Type": "application/json",
            "Accept": stream ? "text/event-stream, application/json" : "application/json",
        ]
        if let key = endpoint.apiKey, !key.isEmpty { headers.add(name: "Authorization", value: "Bearer " + key) }
        return HTTPRequest(
            method: .post, url: endpoint.completionsURL, headers: headers, body: Array(encoded),
            connectTimeout: min(endpoint.timeout, .seconds(10)), timeout: endpoint.timeout,
            lowSpeedLimit: nil, maxResponseBytes: maxAnswerBytes,
            maxRedirects: 0)
    }

    private func readEvents(
        _ response: HTTPStreamingResponse, endpoint: ChatEndpoint, onDelta: @Sendable (String) -> Void
    ) async throws(ChatError) -> ChatCompletion {
        var parser = SSEParser()
        var text = ""
        var usage: TokenUsage?
        var model: String?
        var done = false
        while !done {
            let chunk: [UInt8]?
            do {
                chunk = try await response.nextChunk()
            } catch {
                throw Self.map(error, endpoint: endpoint)
            }
            var events: [SSEParser.Event]
            do {
                if let chunk {
                    events = try parser.feed(chunk)
                } else {
                    events = parser.finish().map { [$0] } ?? []
                    done = true
                }
            } catch {
                throw .badResponse("an event line is longer than \(error.limit >> 10) KiB")
            }
            for event in events {
                if event.data == "[DONE]" {
                    done = true
                    break
                }
                let decoded = try Self.decodeChunk(event.data)
                if let piece = decoded.text, !piece.isEmpty {
                    guard text.utf8.count + piece.utf8.count <= maxAnswerBytes else {
                        throw .badResponse("the answer is larger than \(maxAnswerBytes >> 10) KiB")
                    }
                    text += piece
                    onDelta(piece)
                }
                if let reported = decoded.usage { usage = reported }
                if let name = decoded.model { model = name }
            }
        }
        return ChatCompletion(text: text, usage: usage, model: model)
    }

    // MARK: Wire

    private struct RequestBody: Encodable {
        struct StreamOptions: Encodable {
            var includeUsage: Bool
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        var model: String
        var messages: [ChatMessage]
        var stream: Bool
        var temperature: Double
        var streamOptions: StreamOptions?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature
            case streamOptions = "stream_options"
        }
    }

    private struct WireUsage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }

        var usage: TokenUsage? {
            guard promptTokens != nil || completionTokens != nil else { return nil }
            return TokenUsage(promptTokens: max(0, promptTokens ?? 0), completionTokens: max(0, completionTokens ?? 0))
        }
    }

    private struct WireError: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }

    private struct WireChunk: Decodable {
        struct Choice: Decodable {
            struct Content: Decodable { var content: String? }
            var delta: Content?
            var message: Content?
        }

        var choices: [Choice]?
        var usage: WireUsage?
        var model: String?
        var error: WireError.Detail?
    }

    static func decodeChunk(_ data: String) throws(ChatError) -> (text: String?, usage: TokenUsage?, model: String?) {
        let chunk: WireChunk
        do {
            chunk = try JSONDecoder().decode(WireChunk.self, from: Data(data.utf8))
        } catch {
            throw .badResponse("an event is not a chat-completion chunk")
        }
        if let error = chunk.error { throw .badResponse("the model reported an error: \(clip(error.message ?? "no message"))") }
        let text = chunk.choices?.compactMap { $0.delta?.content ?? $0.message?.content }.joined()
        return (text, chunk.usage?.usage, chunk.model)
    }

    static func decodeWhole(_ body: [UInt8]) throws(ChatError) -> ChatCompletion {
        let chunk: WireChunk
        do {
            chunk = try JSONDecoder().decode(WireChunk.self, from: Data(body))
        } catch {
            throw .badResponse("not a chat completion in JSON")
        }
        if let error = chunk.error { throw .badResponse("the model reported an error: \(clip(error.message ?? "no message"))") }
        guard let choices = chunk.choices, let first = choices.first else { throw .badResponse("the completion has no choices") }
        return ChatCompletion(text: first.message?.content ?? first.delta?.content ?? "", usage: chunk.usage?.usage, model: chunk.model)
    }

    static func statusError(_ status: Int, body: [UInt8], endpoint: ChatEndpoint) -> ChatError {
        if status == 401 || status == 403 { return .unauthorized(status: status) }
        let message = (try? JSONDecoder().decode(WireError.self, from: Data(body)))?.error?.message
        // A server may echo the key it refused: never pass it on.
        return .httpStatus(status, message: message.map { redact(clip($0), endpoint: endpoint) })
    }

    static func map(_ error: HTTPError, endpoint: ChatEndpoint) -> ChatError {
        let host = URLRedaction.host(of: endpoint.baseURL) ?? URLRedaction.redact(endpoint.baseURL)
        switch error.kind {
        case .timedOut, .stalled: return .timeout(seconds: Int(error.kind == .stalled ? endpoint.silenceTimeout.components.seconds : endpoint.timeout.components.seconds))
        case .connectTimeout: return .unreachable(host: host, detail: "connecting timed out")
        case .couldNotResolveHost: return .unreachable(host: host, detail: "the host name does not resolve")
        case .connectFailed: return .unreachable(host: host, detail: "connection refused")
        case .tls: return .unreachable(host: host, detail: "TLS failed")
        case .proxy: return .unreachable(host: host, detail: "the proxy failed")
        case .connectionLost: return .badResponse("the connection was lost mid-answer")
        case .responseTooLarge: return .badResponse("the answer is too large")
        case .tooManyRedirects: return .badResponse("the server redirected")
        case .cancelled: return .cancelled
        case .invalidRequest: return .unreachable(host: host, detail: "llm_url is not a usable http(s) URL")
        case .other: return .badResponse("the transfer failed")
        }
    }

    static func clip(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(197)) + "…" : line
    }

    static func redact(_ text: String, endpoint: ChatEndpoint) -> String {
        guard let key = endpoint.apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "<redacted>")
    }
}

extension ChatEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The model and where it is, never the key (so logging an endpoint cannot leak it).
    public var description: String {
        "\(model) at \(Self.displayURL(baseURL))" + (apiKey == nil ? "" : " (with an API key)")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["model": model, "baseURL": Self.displayURL(baseURL), "hasAPIKey": apiKey != nil])
    }
}
