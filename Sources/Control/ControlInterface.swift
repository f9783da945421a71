import InputLimits
import Logging
import Varlink

/// `io.tributary.Datastores`: maps each method to `ControlBackend`, checks authorization on the
/// mutating ones, validates values the types cannot express, and maps `ControlError` to the
/// interface's typed errors.
public enum ControlInterface {
    public static let name = "io.tributary.Datastores"

    /// Methods that change state: only callers the `Authorizer` admits may use them.
    public static let mutatingMethods: Set<String> = [
        "Create", "Update", "Delete", "Resync", "Pause", "Resume", "AddCredits", "SetCreditPolicy",
        "CreateMcpKey", "RevokeMcpKey",
    ]

    /// Search results per call: the default and the largest accepted `limit`.
    public static let defaultSearchLimit = 10
    public static let maxSearchLimit = 100
    /// Ledger lines `Credits` returns by default, and at most.
    public static let defaultRecentEntries = 20
    public static let maxRecentEntries = 1000
    /// Queries and questions longer than this many UTF-8 bytes are refused.
    public static let maxQueryBytes = Limits.queryBytes.upperBound
    /// `ReadPage`: the largest `maxChars` accepted.
    public static let maxPageChars = 1_000_000

    /// The interface, served by `backend`. Every mutation is logged to `logger` with the
    /// caller's uid and pid (never with parameters, which may hold a token).
    public static func make(backend: any ControlBackend, authorizer: Authorizer, logger: Logger) -> VarlinkInterface {
        let methods = Methods(backend: backend, authorizer: authorizer, logger: logger)
        return VarlinkInterface(name: name, description: description, methods: methods.all)
    }

    /// The whole service: `org.varlink.service` (GetInfo reports `version` and `url`) plus this
    /// interface.
    public static func service(
        backend: any ControlBackend, authorizer: Authorizer, logger: Logger, version: String, url: String = ""
    ) -> VarlinkService {
        VarlinkService(
            info: VarlinkServiceInfo(vendor: "Tributary", product: "tributaryd", version: version, url: url),
            interfaces: [make(backend: backend, authorizer: authorizer, logger: logger)])
    }
}

private struct Methods: Sendable {
    let backend: any ControlBackend
    let authorizer: Authorizer
    let logger: Logger

    var all: [String: VarlinkMethodHandler] {
        let backend = backend
        return [
            "Create": mutation("Create", datastore: { (p: Wire.Create) in p.config.name }) { p, caller throws(ControlError) in
                try Validate.auth(p.config.auth, parameter: "config.auth")
                try Validate.nonEmpty(p.config.name, parameter: "config.name")
                try Validate.nonEmpty(p.config.url, parameter: "config.url")
                try Validate.datastore(p.config, parameter: "config")
                return Wire.Status(status: try await backend.createDatastore(p.config.spec, by: caller))
            },
            "Update": mutation("Update", datastore: { (p: Wire.Update) in p.name }) { p, caller throws(ControlError) in
                try Validate.auth(p.changes.auth, parameter: "changes.auth")
                try Validate.changes(p.changes)
                return Wire.Status(status: try await backend.updateDatastore(name: p.name, changes: p.changes, by: caller))
            },
            "Delete": mutation("Delete", datastore: { (p: Wire.Name) in p.name }) { p, caller throws(ControlError) in
                try await backend.deleteDatastore(name: p.name, by: caller)
                return Wire.Empty()
            },
            "Resync": mutation("Resync", datastore: { (p: Wire.Name) in p.name }) { p, caller throws(ControlError) in
                Wire.Status(status: try await backend.resync(name: p.name, by: caller))
            },
            "Pause": mutation("Pause", datastore: { (p: Wire.Name) in p.name }) { p, caller throws(ControlError) in
                Wire.Status(status: try await backend.pause(name: p.name, by: caller))
            },
            "Resume": mutation("Resume", datastore: { (p: Wire.Name) in p.name }) { p, caller throws(ControlError) in
                Wire.Status(status: try await backend.resume(name: p.name, by: caller))
            },
            "AddCredits": mutation("AddCredits", datastore: { (_: Wire.AddCredits) in nil }) { p, caller throws(ControlError) in
                guard Limits.addedMillicredits.contains(p.millicredits) else {
                    throw .invalidParameter(parameter: "millicredits", message: "must be \(Limits.addedMillicredits.limits)")
                }
                return Wire.Credits(credits: try await backend.addCredits(millicredits: p.millicredits, note: p.note, by: caller))
            },
            "SetCreditPolicy": mutation("SetCreditPolicy", datastore: { (_: Wire.Policy) in nil }) { p, caller throws(ControlError) in
                try Validate.policy(p.policy)
                return Wire.Credits(credits: try await backend.setCreditPolicy(p.policy, by: caller))
            },
            "List": read { (_: Wire.Empty) throws(ControlError) in
                Wire.List(datastores: try await backend.listDatastores())
            },
            "Get": read { (p: Wire.Name) throws(ControlError) in
                let status = try await backend.datastore(name: p.name)
                var config = Wire.Config(try await backend.datastoreSpec(name: p.name))
                config.token = nil
                return Wire.Details(status: status, config: config)
            },
            "Search": read { (p: Wire.Search) throws(ControlError) in
                let request = p.request
                try Validate.search(request)
                return Wire.SearchResults(results: try await backend.search(request))
            },
            "ReadPage": read { (p: Wire.ReadPage) throws(ControlError) in
                let request = p.request
                try Validate.page(request)
                return Wire.Page(page: try await backend.page(request))
            },
            "Ask": ask,
            "ListMcpKeys": read { (_: Wire.Empty) throws(ControlError) in
                Wire.Keys(keys: try await backend.listMCPKeys())
            },
            "CreateMcpKey": mutation("CreateMcpKey", datastore: { (_: Wire.KeyLabel) in nil }) { p, caller throws(ControlError) in
                try Validate.keyLabel(p.label)
                let created = try await backend.createMCPKey(label: p.label, by: caller)
                return Wire.KeyCreated(label: created.label, key: created.key)
            },
            "RevokeMcpKey": mutation("RevokeMcpKey", datastore: { (_: Wire.KeyLabel) in nil }) { p, caller throws(ControlError) in
                try await backend.revokeMCPKey(label: p.label, by: caller)
                return Wire.Empty()
            },
            "Explain": read { (p: Wire.Explain) throws(ControlError) in
                Wire.Explanation(page: try await backend.explain(name: p.name, pageId: p.pageId))
            },
            "Credits": read { (p: Wire.CreditsQuery) throws(ControlError) in
                let recent = p.recent ?? ControlInterface.defaultRecentEntries
                guard (0...ControlInterface.maxRecentEntries).contains(recent) else {
                    throw .invalidParameter(parameter: "recent", message: "must be between 0 and \(ControlInterface.maxRecentEntries)")
                }
                return Wire.Credits(credits: try await backend.credits(recentEntries: recent))
            },
            "Health": read { (_: Wire.Empty) throws(ControlError) in
                Wire.Health(health: await backend.health())
            },
            "Watch": watch,
        ]
    }

    /// `Watch` streams the backend's statuses; the stream ending means the datastore is gone.
    private var watch: VarlinkMethodHandler {
        let backend = backend
        return { call, replies throws(VarlinkError) in
            guard call.more else { throw .expectedMore }
            let name = try call.parameters(as: Wire.Name.self).name
            let statuses: AsyncStream<DatastoreStatus>
            do throws(ControlError) {
                statuses = try await backend.watch(name: name)
            } catch {
                throw error.varlinkError
            }
            // A hang-up cancels this task, which ends the iteration and the backend's stream.
            for await status in statuses {
                try replies.yield(try encode(Wire.Status(status: status)))
            }
            throw ControlError.noSuchDatastore(name: name).varlinkError
        }
    }

    /// `Ask` streams the answer's text as `delta` replies when called with `more`, then ends
    /// with the whole answer; without `more` it replies once, with the answer.
    private var ask: VarlinkMethodHandler {
        let backend = backend
        return { call, replies throws(VarlinkError) in
            let request = try call.parameters(as: Wire.Ask.self).request
            let more = call.more
            let answer: AskAnswer
            do throws(ControlError) {
                try Validate.ask(request)
                answer = try await backend.ask(request) { delta in
                    guard more, let parameters = try? VarlinkParameters(encoding: Wire.AskReply(delta: delta)) else { return }
                    try? replies.yield(parameters)
                }
            } catch {
                throw error.varlinkError
            }
            return try encode(Wire.AskReply(answer: answer))
        }
    }

    private func read<P: Decodable & Sendable, R: Encodable & Sendable>(
        _ body: @escaping @Sendable (P) async throws(ControlError) -> R
    ) -> VarlinkMethodHandler {
        { call, _ throws(VarlinkError) in
            let parameters = try call.parameters(as: P.self)
            let result: R
            do throws(ControlError) {
                result = try await body(parameters)
            } catch {
                throw error.varlinkError
            }
            return try encode(result)
        }
    }

    private func mutation<P: Decodable & Sendable, R: Encodable & Sendable>(
        _ method: String, datastore: @escaping @Sendable (P) -> String?,
        _ body: @escaping @Sendable (P, ControlCaller) async throws(ControlError) -> R
    ) -> VarlinkMethodHandler {
        let authorizer = authorizer
        let logger = logger
        return { call, _ throws(VarlinkError) in
            let caller = ControlCaller(uid: call.peer.userID, gid: call.peer.groupID, pid: call.peer.processID)
            var metadata: Logger.Metadata = [
                "method": "\(method)", "uid": "\(caller.uid)", "pid": "\(caller.pid)",
            ]
            guard authorizer.mayMutate(call.peer) else {
                logger.warning("control: mutation refused", metadata: metadata)
                throw ControlError.permissionDenied(
                    message: "\(method) needs root, the daemon's user or membership of the group 'tributary' (uid \(caller.uid))"
                ).varlinkError
            }
            let parameters = try call.parameters(as: P.self)
            if let name = datastore(parameters) { metadata["datastore"] = "\(name)" }
            let result: R
            do throws(ControlError) {
                result = try await body(parameters, caller)
            } catch {
                metadata["error"] = "\(error.varlinkError.name)"
                logger.notice("control: mutation failed", metadata: metadata)
                throw error.varlinkError
            }
            logger.notice("control: mutation", metadata: metadata)
            return try encode(result)
        }
    }
}

private func encode(_ value: some Encodable) throws(VarlinkError) -> VarlinkParameters {
    do {
        return try VarlinkParameters(encoding: value)
    } catch {
        throw ControlError.internalError(message: "the reply could not be encoded (\(error))").varlinkError
    }
}

/// Checks of values whose type is right but whose content is not.
enum Validate {
    static let authKinds: Set<String> = ["api_token", "pat"]

    static func auth(_ value: String?, parameter: String) throws(ControlError) {
        guard let value, !authKinds.contains(value) else { return }
        throw .invalidParameter(parameter: parameter, message: "must be api_token or pat, not '\(value)'")
    }

    static func nonEmpty(_ value: String, parameter: String) throws(ControlError) {
        if value.allSatisfy(\.isWhitespace) {
            throw .invalidParameter(parameter: parameter, message: "must not be empty")
        }
    }

    static func search(_ request: SearchRequest) throws(ControlError) {
        guard (1...ControlInterface.maxSearchLimit).contains(request.limit) else {
            throw .invalidParameter(parameter: "limit", message: "must be between 1 and \(ControlInterface.maxSearchLimit)")
        }
        try nonEmpty(request.query, parameter: "query")
        try length(request.query, parameter: "query")
        if let date = request.modifiedAfter, ISODateTime.parse(date) == nil {
            throw .invalidParameter(parameter: "modifiedAfter", message: "'\(date)' is not an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)")
        }
    }

    static func page(_ request: PageRequest) throws(ControlError) {
        try nonEmpty(request.page, parameter: "page")
        if let maxChars = request.maxChars, !(1...ControlInterface.maxPageChars).contains(maxChars) {
            throw .invalidParameter(parameter: "maxChars", message: "must be between 1 and \(ControlInterface.maxPageChars)")
        }
        guard request.offset >= 0 else { throw .invalidParameter(parameter: "offset", message: "must not be negative") }
    }

    static func ask(_ request: AskRequest) throws(ControlError) {
        try nonEmpty(request.question, parameter: "question")
        try length(request.question, parameter: "question")
        guard (1...AskRequest.maxPassages).contains(request.passages) else {
            throw .invalidParameter(parameter: "passages", message: "must be between 1 and \(AskRequest.maxPassages)")
        }
    }

    /// Labels name keys in listings and logs: short, printable, no spaces.
    static func keyLabel(_ label: String) throws(ControlError) {
        let allowed = label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.@".unicodeScalars.contains($0)) }
        guard (1...64).contains(label.utf8.count), allowed else {
            throw .invalidParameter(parameter: "label", message: "must be 1 to 64 characters of letters, digits, '-', '_', '.' or '@'")
        }
    }

    static func length(_ value: String, parameter: String) throws(ControlError) {
        guard value.utf8.count <= ControlInterface.maxQueryBytes else {
            throw .invalidParameter(parameter: parameter, message: "is longer than \(ControlInterface.maxQueryBytes) bytes")
        }
    }

    static func policy(_ change: CreditPolicyChange) throws(ControlError) {
        let amounts: [(String, Int64?)] = [
            ("policy.autoTopOffAmountMillicredits", change.autoTopOffAmountMillicredits),
            ("policy.autoTopOffThresholdMillicredits", change.autoTopOffThresholdMillicredits),
            ("policy.autoTopOffMonthlyCapMillicredits", change.autoTopOffMonthlyCapMillicredits),
            ("policy.millicreditsPerThousandTokens", change.millicreditsPerThousandTokens),
        ]
        for (parameter, value) in amounts {
            let range = parameter.hasSuffix("PerThousandTokens") ? Limits.millicreditsPerThousandTokens : Limits.policyMillicredits
            if let value, !range.contains(value) {
                throw .invalidParameter(parameter: parameter, message: "must be \(range.limits)")
            }
        }
    }
}
