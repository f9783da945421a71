import Control
import Engine

/// Answers with citations.
extension EngineBackend {
    func ask(_ request: AskRequest, onDelta: @escaping @Sendable (String) -> Void) async throws(ControlError) -> AskAnswer {
        // TODO(ask helper)
        throw .notReady(message: "ask is not implemented yet")
    }
}
