/// Parameter and reply shapes of `io.tributary.Datastores`, shared by the service and the client
/// so both ends agree by construction. Field names are the IDL's.
enum Wire {
    struct Empty: Codable, Sendable {}

    struct Name: Codable, Sendable {
        let name: String
    }

    struct Status: Codable, Sendable {
        let status: DatastoreStatus
    }

    struct List: Codable, Sendable {
        let datastores: [DatastoreStatus]
    }

    struct Details: Codable, Sendable {
        let status: DatastoreStatus
        let config: Config
    }

    struct Create: Codable, Sendable {
        let config: Config
    }

    struct Update: Codable, Sendable {
        let name: String
        let changes: DatastoreChanges
    }

    struct Search: Codable, Sendable {
        let name: String
        let query: String
        let limit: Int?
    }

    struct SearchResults: Codable, Sendable {
        let results: [SearchHit]
    }

    struct Explain: Codable, Sendable {
        let name: String
        let pageId: String
    }

    struct Explanation: Codable, Sendable {
        let page: PageExplanation
    }

    struct CreditsQuery: Codable, Sendable {
        let recent: Int?
    }

    struct Credits: Codable, Sendable {
        let credits: CreditsReport
    }

    struct AddCredits: Codable, Sendable {
        let millicredits: Int64
        let note: String?
    }

    struct Policy: Codable, Sendable {
        let policy: CreditPolicyChange
    }

    struct Health: Codable, Sendable {
        let health: HealthReport
    }

    struct InterfaceQuery: Codable, Sendable {
        let interface: String
    }

    struct InterfaceDescription: Codable, Sendable {
        let description: String
    }

    /// `DatastoreConfig`: a `DatastoreSpec` whose lists and flags may be left out on the wire.
    struct Config: Codable, Sendable {
        var name: String
        var url: String
        var auth: String?
        var email: String?
        var token: String?
        var tokenFile: String?
        var hasToken: Bool?
        var spaces: [String]?
        var rootPageIds: [String]?
        var includeTitles: [String]?
        var excludeTitles: [String]?
        var excludeLabels: [String]?
        var includeArchived: Bool?
        var resyncIntervalSeconds: Int?
        var rateLimit: Double?
        var origin: String?

        init(_ spec: DatastoreSpec) {
            name = spec.name
            url = spec.url
            auth = spec.auth
            email = spec.email
            token = spec.token
            tokenFile = spec.tokenFile
            hasToken = spec.hasToken
            spaces = spec.spaces
            rootPageIds = spec.rootPageIds
            includeTitles = spec.includeTitles
            excludeTitles = spec.excludeTitles
            excludeLabels = spec.excludeLabels
            includeArchived = spec.includeArchived
            resyncIntervalSeconds = spec.resyncIntervalSeconds
            rateLimit = spec.rateLimit
            origin = spec.origin
        }

        var spec: DatastoreSpec {
            DatastoreSpec(
                name: name, url: url, auth: auth ?? "api_token", email: email, token: token, tokenFile: tokenFile,
                hasToken: hasToken, spaces: spaces ?? [], rootPageIds: rootPageIds ?? [],
                includeTitles: includeTitles ?? [], excludeTitles: excludeTitles ?? [],
                excludeLabels: excludeLabels ?? [], includeArchived: includeArchived ?? false,
                resyncIntervalSeconds: resyncIntervalSeconds, rateLimit: rateLimit, origin: origin)
        }
    }
}
