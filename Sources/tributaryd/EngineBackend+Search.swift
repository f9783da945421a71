import Control
import Engine
import Search

/// Passages and pages for people and assistants.
extension EngineBackend {
    func search(_ request: SearchRequest) async throws(ControlError) -> [SearchHit] {
        // TODO(index helper): several datastores, filters, passage text and page metadata.
        guard let name = request.datastores.first else {
            throw .invalidParameter(parameter: "name", message: "name a datastore")
        }
        let hits = try await map { try engine.search(name: name, query: request.query, limit: request.limit) }
        return hits.map { hit in
            SearchHit(pageId: hit.result.pageID, title: hit.result.title, url: hit.url,
                      anchor: hit.result.anchor.isEmpty ? nil : hit.result.anchor, headingPath: hit.result.headingPath,
                      score: (hit.result.score * 1_000).rounded() / 1_000, snippet: hit.result.snippet)
        }
    }

    func page(_ request: PageRequest) async throws(ControlError) -> PageContent {
        // TODO(index helper)
        throw .notReady(message: "reading pages is not implemented yet")
    }
}
