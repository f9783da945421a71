import DaemonConfig
import Embeddings
import Engine
import Foundation

/// The embedder of hybrid search from `tributaryd.conf`'s `embedding_*` keys.
enum EmbeddingSetup {
    /// An endpoint embedder whose API key is read at each request (a rotated key file needs no
    /// restart); nil without `embedding_url`.
    static func embedder(_ configuration: EmbeddingConfiguration?, credentials: any CredentialReader) -> (any TextEmbedder)? {
        guard let configuration else { return nil }
        let key = configuration.key
        return EndpointEmbedder(baseURL: configuration.url, model: configuration.model) { () throws -> String? in
            let bytes: [UInt8]
            switch key {
            case .none:
                return nil
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else { throw EmbeddingError.apiKeyUnreadable }
                bytes = Array(data)
            case .credential(let name):
                bytes = try credentials.read(name)
            }
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw EmbeddingError.apiKeyUnreadable }
            return text
        }
    }
}
