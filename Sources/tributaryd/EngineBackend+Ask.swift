import Answering
import DaemonConfig
import Control
import Engine
import Foundation
import Logging
import Synchronization

/// Answers with citations: the best passages go to the configured chat model, which is asked
/// to cite them as [n]; without a model, or when it fails, the answer is the passages.
extension EngineBackend {
    func ask(_ request: AskRequest, onDelta: @escaping @Sendable (String) -> Void) async throws(ControlError) -> AskAnswer {
        let names = try await askedDatastores(request)
        let passages = try await retrieve(request, from: names)
        guard !passages.isEmpty else {
            return Self.extractive(passages, reason: names.isEmpty
                ? "no datastore has searchable content yet" : "no passage matches the question")
        }
        guard let model = modelSettings.current else {
            return Self.extractive(passages, reason: "no model is configured (llm_url)")
        }
        let messages = PromptBuilder().messages(question: request.question, passages: passages)
        let estimatedPrompt = PromptBuilder.estimateTokens(messages)
        let price = CreditPolicy(millicreditsPerThousandTokens: model.millicreditsPerThousandTokens)
        let authorization = try await map { try engine.authorizeModelUsage(estimatedMillicredits: price.cost(tokens: estimatedPrompt)) }
        if case .insufficient(let needed, let balance) = authorization {
            throw .insufficientCredits(neededMillicredits: needed, balanceMillicredits: balance)
        }
        let key: String?
        do {
            key = try modelSettings.key(for: model)
        } catch {
            logger.warning("ask: \(error.message); answering from the passages")
            return Self.extractive(passages, reason: error.message)
        }
        let endpoint = ChatEndpoint(baseURL: model.url, model: model.model, apiKey: key, timeout: .seconds(model.timeoutSeconds))
        let completion: ChatCompletion
        do {
            completion = try await ChatClient().complete(messages, endpoint: endpoint, onDelta: onDelta)
        } catch .cancelled {
            throw .notReady(message: "the question was cancelled")
        } catch {
            logger.warning("ask: \(error); answering from the passages", metadata: ["model": "\(model.model)"])
            return Self.extractive(passages, reason: error.description)
        }
        guard !completion.text.allSatisfy(\.isWhitespace) else {
            return Self.extractive(passages, reason: "the model returned an empty answer")
        }

        let resolution = CitationResolver(passageCount: passages.count).resolve(completion.text)
        let usage: ModelUsage
        let source: String
        if let reported = completion.usage {
            usage = ModelUsage(promptTokens: reported.promptTokens, completionTokens: reported.completionTokens)
            source = "reported by the model"
        } else {
            usage = ModelUsage(promptTokens: estimatedPrompt, completionTokens: PromptBuilder.estimateTokens(completion.text))
            source = "estimated: the model reported no usage"
        }
        let tokens = usage.promptTokens + usage.completionTokens
        let note = "\(model.model): \(usage.promptTokens) prompt + \(usage.completionTokens) completion tokens (\(source))"
        let charged = try await map {
            try engine.chargeModelUsage(tokens: tokens, millicreditsPerThousandTokens: model.millicreditsPerThousandTokens, note: note)
        }
        if !resolution.dropped.isEmpty {
            logger.info("ask: removed citations of passages never sent: \(resolution.dropped)")
        }
        logger.info("ask answered by \(model.model) with \(resolution.cited.count) citations, \(tokens) tokens",
                    metadata: ["model": "\(model.model)", "tokens": "\(tokens)", "millicredits": "\(charged)"])
        return AskAnswer(
            answer: resolution.text, citations: resolution.cited.map { Self.citation($0, passages[$0 - 1]) }, mode: "generated",
            model: model.model, usage: usage, chargedMillicredits: charged)
    }

    /// The datastores asked for, or every searchable one.
    private func askedDatastores(_ request: AskRequest) async throws(ControlError) -> [String] {
        if !request.datastores.isEmpty { return request.datastores }
        let snapshots = try await map { try await engine.list() } as [DatastoreSnapshot]
        return snapshots.filter(\.searchable).map(\.name)
    }

    private func retrieve(_ request: AskRequest, from names: [String]) async throws(ControlError) -> [Passage] {
        guard let first = names.first else { return [] }
        let hits = try await search(SearchRequest(datastores: names, query: request.question, limit: request.passages))
        return hits.prefix(request.passages).map { hit in
            Passage(datastore: hit.datastore ?? first, pageId: hit.pageId, title: hit.title, url: hit.url,
                    headingPath: hit.headingPath, text: hit.text ?? Self.plain(hit.snippet), attachment: hit.attachment.map(Self.passageAttachment))
        }
    }

    /// A snippet without its «match» marks (the fallback when a hit carries no passage text).
    private static func plain(_ snippet: String) -> String {
        snippet.replacingOccurrences(of: "«", with: "").replacingOccurrences(of: "»", with: "")
    }

    static func extractive(_ passages: [Passage], reason: String) -> AskAnswer {
        let composed = ExtractiveAnswer().compose(passages)
        return AskAnswer(
            answer: composed.text, citations: composed.cited.map { citation($0, passages[$0 - 1]) }, mode: "extractive",
            reason: reason)
    }

    static func citation(_ n: Int, _ passage: Passage) -> Citation {
        Citation(n: n, datastore: passage.datastore, pageId: passage.pageId, title: passage.title, url: passage.url,
                 attachment: passage.attachment.map(attachmentCitation))
    }
}

/// The model settings answers use, replaced when the configuration is reloaded.
final class ModelSettings: Sendable {
    private let configuration: Mutex<ModelConfiguration?>
    /// `$CREDENTIALS_DIRECTORY`, for `llm_api_key_credential`.
    private let credentialsDirectory: String?

    init(_ configuration: ModelConfiguration? = nil,
         credentialsDirectory: String? = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]) {
        self.configuration = Mutex(configuration)
        self.credentialsDirectory = credentialsDirectory
    }

    var current: ModelConfiguration? { configuration.withLock { $0 } }

    func update(_ configuration: ModelConfiguration?) {
        self.configuration.withLock { $0 = configuration }
    }

    /// Why the key could not be read; never holds the key.
    struct KeyError: Error {
        var message: String
    }

    /// The API key, read now (a rotated key file needs no restart); nil when none is configured.
    func key(for configuration: ModelConfiguration) throws(KeyError) -> String? {
        let path: String
        let what: String
        switch configuration.key {
        case .none:
            return nil
        case .file(let file):
            path = file
            what = "llm_api_key_file \(file)"
        case .credential(let name):
            guard let credentialsDirectory else {
                throw KeyError(message: "llm_api_key_credential “\(name)” is set but the daemon has no $CREDENTIALS_DIRECTORY (use LoadCredential= in the unit)")
            }
            path = credentialsDirectory + "/" + name
            what = "systemd credential \(name)"
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyError(message: "the model's API key could not be read (\(what): missing or not readable by the daemon)")
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw KeyError(message: "the model's API key is empty (\(what))") }
        return key
    }
}
