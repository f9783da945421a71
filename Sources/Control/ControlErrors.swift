import Varlink

/// The typed errors of `io.tributary.Datastores` and their mapping to and from `ControlError`.
extension ControlError {
    /// A sentence for people (the `description` parameter of the Varlink error).
    public var explanation: String {
        switch self {
        case .noSuchDatastore(let name): "no datastore named '\(name)'"
        case .datastoreExists(let name): "a datastore named '\(name)' already exists"
        case .noSuchPage(let datastore, let pageId): "datastore '\(datastore)' has no page \(pageId)"
        case .noSuchSection(let datastore, let pageId, let anchor):
            "page \(pageId) of datastore '\(datastore)' has no section '\(anchor)'"
        case .noSuchKey(let label): "no MCP key is labelled '\(label)'"
        case .keyExists(let label): "an MCP key labelled '\(label)' already exists"
        case .invalidParameter(let parameter, let message): "invalid \(parameter): \(message)"
        case .authenticationFailed(let message): "authentication failed: \(message)"
        case .insufficientCredits(let needed, let balance):
            "insufficient credits: the work needs \(CreditAmount.format(needed)) credits, "
                + "the balance is \(CreditAmount.format(balance))"
        case .permissionDenied(let message): "permission denied: \(message)"
        case .notReady(let message): "not ready: \(message)"
        case .internalError(let message): "internal error: \(message)"
        }
    }

    /// The Varlink error sent for this error.
    var varlinkError: VarlinkError {
        let prefix = ControlInterface.name + "."
        let description = JSONValue.string(explanation)
        switch self {
        case .noSuchDatastore(let name):
            return VarlinkError(prefix + "NoSuchDatastore", parameters: ["name": .string(name), "description": description])
        case .datastoreExists(let name):
            return VarlinkError(prefix + "DatastoreExists", parameters: ["name": .string(name), "description": description])
        case .noSuchPage(let datastore, let pageId):
            return VarlinkError(prefix + "NoSuchPage", parameters: [
                "datastore": .string(datastore), "pageId": .string(pageId), "description": description,
            ])
        case .noSuchSection(let datastore, let pageId, let anchor):
            return VarlinkError(prefix + "NoSuchSection", parameters: [
                "datastore": .string(datastore), "pageId": .string(pageId), "anchor": .string(anchor), "description": description,
            ])
        case .noSuchKey(let label):
            return VarlinkError(prefix + "NoSuchKey", parameters: ["label": .string(label), "description": description])
        case .keyExists(let label):
            return VarlinkError(prefix + "KeyExists", parameters: ["label": .string(label), "description": description])
        case .invalidParameter(let parameter, let message):
            return VarlinkError(prefix + "InvalidParameter", parameters: [
                "parameter": .string(parameter), "description": .string(message),
            ])
        case .insufficientCredits(let needed, let balance):
            return VarlinkError(prefix + "InsufficientCredits", parameters: [
                "neededMillicredits": .integer(needed), "balanceMillicredits": .integer(balance), "description": description,
            ])
        case .authenticationFailed(let message):
            return VarlinkError(prefix + "AuthenticationFailed", parameters: ["description": .string(message)])
        case .permissionDenied(let message):
            return VarlinkError(prefix + "PermissionDenied", parameters: ["description": .string(message)])
        case .notReady(let message):
            return VarlinkError(prefix + "NotReady", parameters: ["description": .string(message)])
        case .internalError(let message):
            return VarlinkError(prefix + "InternalError", parameters: ["description": .string(message)])
        }
    }

    /// The `ControlError` a Varlink error reply stands for; errors of `org.varlink.service`
    /// (wrong parameter types, a daemon without this method) map to the closest case.
    init(_ error: VarlinkError) {
        let text = { (key: String) in error.parameters[key]?.stringValue ?? "" }
        let number = { (key: String) in error.parameters[key]?.integerValue ?? 0 }
        let prefix = ControlInterface.name + "."
        switch error.name {
        case prefix + "NoSuchDatastore": self = .noSuchDatastore(name: text("name"))
        case prefix + "DatastoreExists": self = .datastoreExists(name: text("name"))
        case prefix + "NoSuchPage": self = .noSuchPage(datastore: text("datastore"), pageId: text("pageId"))
        case prefix + "NoSuchSection":
            self = .noSuchSection(datastore: text("datastore"), pageId: text("pageId"), anchor: text("anchor"))
        case prefix + "NoSuchKey": self = .noSuchKey(label: text("label"))
        case prefix + "KeyExists": self = .keyExists(label: text("label"))
        case prefix + "InvalidParameter": self = .invalidParameter(parameter: text("parameter"), message: text("description"))
        case prefix + "AuthenticationFailed": self = .authenticationFailed(message: text("description"))
        case prefix + "InsufficientCredits":
            self = .insufficientCredits(neededMillicredits: number("neededMillicredits"), balanceMillicredits: number("balanceMillicredits"))
        case prefix + "PermissionDenied": self = .permissionDenied(message: text("description"))
        case prefix + "NotReady": self = .notReady(message: text("description"))
        case prefix + "InternalError": self = .internalError(message: text("description"))
        case VarlinkError.invalidParameter("").name:
            self = .invalidParameter(parameter: text("parameter"), message: "missing, or of the wrong type")
        case VarlinkError.permissionDenied.name:
            self = .permissionDenied(message: "the daemon refused the call")
        default:
            self = .internalError(message: "the daemon answered \(error)")
        }
    }
}
