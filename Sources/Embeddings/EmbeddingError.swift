/// Why an endpoint gave no embeddings. Descriptions are for people (they become a datastore's
/// `embeddings.reason`) and never contain the API key.
public enum EmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401 or 403: the key is missing, wrong or not allowed to use the model.
    case unauthorized(status: Int)
    /// 429 or 503 with a rate limit: wait `retryAfterSeconds` (nil: the server did not say).
    case throttled(status: Int, retryAfterSeconds: Double?)
    /// Any other non-2xx status, with the server's message when it gave one.
    case httpStatus(Int, message: String?)
    /// No answer within the timeout.
    case timeout(seconds: Int)
    /// The server could not be reached (DNS, refused connection, TLS, proxy).
    case unreachable(host: String, detail: String)
    /// The server answered something that is not an embeddings response for the inputs sent.
    case badResponse(String)
    case cancelled
    /// `embedding_api_key_file` (or the credential) could not be read.
    case apiKeyUnreadable

    /// Whether trying again later may succeed without anyone changing the configuration.
    public var isTransient: Bool {
        switch self {
        case .throttled, .timeout, .unreachable: true
        case .httpStatus(let status, _): status >= 500 || status == 408
        case .unauthorized, .badResponse, .cancelled, .apiKeyUnreadable: false
        }
    }

    public var description: String {
        switch self {
        case .unauthorized(let status): "the embedding endpoint refused the API key (HTTP \(status))"
        case .throttled(let status, let seconds):
            "the embedding endpoint is throttling (HTTP \(status)"
                + (seconds.map { ", Retry-After \(Int($0.rounded(.up))) s" } ?? "") + ")"
        case .httpStatus(let status, let message):
            "the embedding endpoint answered HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        case .timeout(let seconds): "the embedding endpoint did not answer within \(seconds) s"
        case .unreachable(let host, let detail): "the embedding endpoint at \(host) is unreachable (\(detail))"
        case .badResponse(let detail): "the embedding endpoint's answer could not be read (\(detail))"
        case .cancelled: "embedding was cancelled"
        case .apiKeyUnreadable: "the embedding API key (embedding_api_key_file or embedding_api_key_credential) could not be read"
        }
    }
}
