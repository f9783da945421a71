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

    /// `name` (one datastore) and `names` (several) may both be absent: every datastore.
    struct Search: Codable, Sendable {
        var name: String?
        var names: [String]?
        let query: String
        var limit: Int?
        var spaces: [String]?
        var labels: [String]?
        var modifiedAfter: String?
        var lexical: Bool?

        init(_ request: SearchRequest) {
            name = request.datastores.count == 1 ? request.datastores[0] : nil
            names = request.datastores.count > 1 ? request.datastores : nil
            query = request.query
            limit = request.limit
            spaces = request.spaces.isEmpty ? nil : request.spaces
            labels = request.labels.isEmpty ? nil : request.labels
            modifiedAfter = request.modifiedAfter
            lexical = request.lexical ? true : nil
        }

        var request: SearchRequest {
            var datastores = names ?? []
            if let name, !datastores.contains(name) { datastores.insert(name, at: 0) }
            return SearchRequest(
                datastores: datastores, query: query, limit: limit ?? ControlInterface.defaultSearchLimit,
                spaces: spaces ?? [], labels: labels ?? [], modifiedAfter: modifiedAfter, lexical: lexical ?? false)
        }
    }

    struct ReadPage: Codable, Sendable {
        let name: String
        let page: String
        var section: String?
        var maxChars: Int?
        var offset: Int?

        init(_ request: PageRequest) {
            name = request.datastore
            page = request.page
            section = request.section
            maxChars = request.maxChars
            offset = request.offset == 0 ? nil : request.offset
        }

        var request: PageRequest {
            PageRequest(datastore: name, page: page, section: section, maxChars: maxChars, offset: offset ?? 0)
        }
    }

    struct Page: Codable, Sendable {
        let page: PageContent
    }

    struct Ask: Codable, Sendable {
        var name: String?
        var names: [String]?
        let question: String
        var passages: Int?

        init(_ request: AskRequest) {
            name = request.datastores.count == 1 ? request.datastores[0] : nil
            names = request.datastores.count > 1 ? request.datastores : nil
            question = request.question
            passages = request.passages
        }

        var request: AskRequest {
            var datastores = names ?? []
            if let name, !datastores.contains(name) { datastores.insert(name, at: 0) }
            return AskRequest(datastores: datastores, question: question, passages: passages ?? AskRequest.defaultPassages)
        }
    }

    /// One reply of `Ask`: text as it is generated (`delta`, with `continues`), then the answer.
    struct AskReply: Codable, Sendable {
        var delta: String?
        var answer: AskAnswer?
    }

    struct KeyLabel: Codable, Sendable {
        let label: String
    }

    struct KeyCreated: Codable, Sendable {
        let label: String
        let key: String
    }

    struct Keys: Codable, Sendable {
        let keys: [MCPKeyInfo]
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
        var attachments: [String]?
        var maxAttachmentBytes: Int?
        var maxAttachmentChars: Int?
        var blogPosts: Bool?
        var comments: String?
        var embeddings: Bool?

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
            attachments = spec.content.attachments
            maxAttachmentBytes = spec.content.maxAttachmentBytes
            maxAttachmentChars = spec.content.maxAttachmentChars
            blogPosts = spec.content.blogPosts
            comments = spec.content.comments
            embeddings = spec.content.embeddings
        }

        var spec: DatastoreSpec {
            DatastoreSpec(
                name: name, url: url, auth: auth ?? "api_token", email: email, token: token, tokenFile: tokenFile,
                hasToken: hasToken, spaces: spaces ?? [], rootPageIds: rootPageIds ?? [],
                includeTitles: includeTitles ?? [], excludeTitles: excludeTitles ?? [],
                excludeLabels: excludeLabels ?? [], includeArchived: includeArchived ?? false,
                resyncIntervalSeconds: resyncIntervalSeconds, rateLimit: rateLimit, origin: origin,
                content: ContentOptions(
                    attachments: attachments, maxAttachmentBytes: maxAttachmentBytes, maxAttachmentChars: maxAttachmentChars,
                    blogPosts: blogPosts, comments: comments, embeddings: embeddings))
        }
    }
}
