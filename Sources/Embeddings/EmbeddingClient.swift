import Foundation
import HTTP

/// The vectors of one batch, in input order, and the tokens the server counted.
public struct EmbeddingBatch: Sendable, Equatable {
    public var vectors: [[Float]]
    /// The server's `usage.prompt_tokens` (or `total_tokens`); nil when it reported none.
    public var tokens: Int?
    /// The model name the server reported, when it did.
    public var model: String?

    public init(vectors: [[Float]], tokens: Int?, model: String?) {
        self.vectors = vectors
        self.tokens = tokens
        self.model = model
    }
}

/// An OpenAI-compatible embeddings client: `POST {base}/v1/embeddings` with a batch of inputs,
/// over the project's libcurl client. One call is one attempt: retries, back-off and the
/// endpoint's pace belong to the caller (the engine's embedding stage), which sees
/// ``EmbeddingError/throttled(status:retryAfterSeconds:)`` with the server's `Retry-After`.
public struct EmbeddingClient: Sendable {
    private let http: HTTPClient
    /// Bytes of one response read at most.
    public var maxResponseBytes = 64 << 20

    public init(http: HTTPClient = .shared) {
        self.http = http
    }

    /// Embeds `inputs` (non-empty) with `endpoint`'s model; the result has one vector per input,
    /// all of one dimension.
    public func embed(_ inputs: [String], endpoint: EmbeddingEndpoint) async throws(EmbeddingError) -> EmbeddingBatch {
        guard !inputs.isEmpty else { return EmbeddingBatch(vectors: [], tokens: 0, model: nil) }
        let request = try makeRequest(inputs, endpoint: endpoint)
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            throw Self.map(error, endpoint: endpoint)
        }
        guard (200..<300).contains(response.status) else {
            throw Self.statusError(response, endpoint: endpoint)
        }
        return try Self.decode(Array(response.body), count: inputs.count)
    }

    private func makeRequest(_ inputs: [String], endpoint: EmbeddingEndpoint) throws(EmbeddingError) -> HTTPRequest {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(RequestBody(model: endpoint.model, input: inputs))
        } catch {
            throw .badResponse("the request could not be encoded")
        }
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = endpoint.apiKey, !key.isEmpty { headers.add(name: "Authorization", value: "Bearer " + key) }
        return HTTPRequest(
            method: .post, url: endpoint.embeddingsURL, headers: headers, body: Array(encoded),
            connectTimeout: min(endpoint.timeout, .seconds(10)), timeout: endpoint.timeout,
            lowSpeedLimit: nil, maxResponseBytes: maxResponseBytes, maxRedirects: 0)
    }

    // MARK: Wire

    private struct RequestBody: Encodable {
        var model: String
        var input: [String]
        var encodingFormat = "float"

        enum CodingKeys: String, CodingKey {
            case model, input
            case encodingFormat = "encoding_format"
        }
    }

    private struct WireResponse: Decodable {
        struct Item: Decodable {
            var index: Int?
            var embedding: [Float]
        }

        struct Usage: Decodable {
            var promptTokens: Int?
            var totalTokens: Int?
            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case totalTokens = "total_tokens"
            }
        }

        var data: [Item]
        var usage: Usage?
        var model: String?
    }

    private struct WireError: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }

    /// Reads a response body: `count` vectors of one non-zero dimension, ordered by `index`.
    static func decode(_ body: [UInt8], count: Int) throws(EmbeddingError) -> EmbeddingBatch {
        let response: WireResponse
        do {
            response = try JSONDecoder().decode(WireResponse.self, from: Data(body))
        } catch {
            throw .badResponse("not an embeddings response in JSON")
        }
        guard response.data.count == count else {
            throw .badResponse("\(response.data.count) embeddings for \(count) inputs")
        }
        let ordered = response.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        let vectors = ordered.map(\.element.embedding)
        guard let dimensions = vectors.first?.count, dimensions > 0,
              vectors.allSatisfy({ $0.count == dimensions }) else {
            throw .badResponse("the embeddings are empty or of different dimensions")
        }
        guard vectors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw .badResponse("an embedding is not finite") }
        let tokens = response.usage.flatMap { $0.promptTokens ?? $0.totalTokens }.map { max(0, $0) }
        return EmbeddingBatch(vectors: vectors, tokens: tokens, model: response.model)
    }

    static func statusError(_ response: HTTPResponse, endpoint: EmbeddingEndpoint) -> EmbeddingError {
        let status = response.status
        if status == 401 || status == 403 { return .unauthorized(status: status) }
        if status == 429 || (status == 503 && response.headers["Retry-After"] != nil) {
            return .throttled(status: status, retryAfterSeconds: response.retryAfter())
        }
        let body = Array(response.body.prefix(8_192))
        let message = (try? JSONDecoder().decode(WireError.self, from: Data(body)))?.error?.message
        // A server may echo the key it refused: never pass it on.
        return .httpStatus(status, message: message.map { redact(clip($0), endpoint: endpoint) })
    }

    static func map(_ error: HTTPError, endpoint: EmbeddingEndpoint) -> EmbeddingError {
        let host = URLRedaction.host(of: endpoint.baseURL) ?? endpoint.displayURL
        switch error.kind {
        case .timedOut, .stalled: return .timeout(seconds: Int(endpoint.timeout.components.seconds))
        case .connectTimeout: return .unreachable(host: host, detail: "connecting timed out")
        case .couldNotResolveHost: return .unreachable(host: host, detail: "the host name does not resolve")
        case .connectFailed: return .unreachable(host: host, detail: "connection refused")
        case .tls: return .unreachable(host: host, detail: "TLS failed")
        case .proxy: return .unreachable(host: host, detail: "the proxy failed")
        case .connectionLost: return .unreachable(host: host, detail: "the connection was lost")
        case .responseTooLarge: return .badResponse("the response is too large")
        case .tooManyRedirects: return .badResponse("the server redirected")
        case .cancelled: return .cancelled
        case .invalidRequest: return .unreachable(host: host, detail: "embedding_url is not a usable http(s) URL")
        case .other: return .badResponse("the transfer failed")
        }
    }

    static func clip(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(197)) + "…" : line
    }

    static func redact(_ text: String, endpoint: EmbeddingEndpoint) -> String {
        guard let key = endpoint.apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "<redacted>")
    }
}
