import Confluence
import Foundation
import InputLimits

/// Where a datastore's secret comes from. The secret itself is never part of the configuration
/// value: a stored one lives in the `secrets` table, the others are read when needed, so a
/// rotated token file or systemd credential is picked up by the next sync.
public enum TokenSource: Sendable, Equatable, Codable {
    /// In the `secrets` table (set over the control socket).
    case stored
    /// A file readable by the daemon.
    case file(path: String)
    /// A systemd credential (`LoadCredential=NAME:…`), read from `$CREDENTIALS_DIRECTORY/NAME`.
    case credential(name: String)
    /// No secret: anonymous access.
    case none
}

/// How a datastore signs in.
public enum AuthenticationKind: String, Sendable, Equatable, Codable {
    /// Confluence Cloud: account email + API token (HTTP basic).
    case apiToken = "api_token"
    /// Data Center: personal access token (Bearer).
    case personalAccessToken = "pat"
    case anonymous
}

/// Everything a datastore is configured with, minus its secret.
public struct DatastoreConfiguration: Sendable, Equatable, Codable {
    public var name: String
    /// The space (or page) URL a person pasted.
    public var url: String
    public var auth: AuthenticationKind
    public var email: String?
    public var tokenSource: TokenSource
    /// Space keys; empty: the space named by `url`; `["*"]` (``allSpacesKey`` alone): every
    /// space the credentials can see, re-listed at every metadata sync (see ``includesAllSpaces``).
    public var spaces: [String]
    /// Roots of the page trees in scope; empty: whole spaces.
    public var rootPageIds: [String]
    /// Title globs (`*`, `?`, case-insensitive): when non-empty only matching pages are indexed.
    public var includeTitles: [String]
    public var excludeTitles: [String]
    public var excludeLabels: [String]
    public var includeArchived: Bool
    public var resyncIntervalSeconds: Int
    /// Requests per second for the site (shared by every datastore on it); nil: the daemon default.
    public var rateLimit: Double?
    /// "socket", or the path of the `datastores.d` file that defines it.
    public var origin: String
    /// Attachments, blog posts, comments and embeddings (defaults when stored before they existed).
    public var content: ContentSelection

    public static let defaultResyncInterval = 3_600

    /// The `spaces` value that means every visible space: `spaces = *`, `--all-spaces`.
    public static let allSpacesKey = "*"

    /// Where a secret belongs instead of the URL's `user:password@`.
    static let tokenHint = "token_file or token_credential in datastores.d (or tributaryctl --token-file)"

    /// Whether the scope is every space visible to the credentials (`spaces` is exactly `["*"]`).
    ///
    /// Every metadata sync lists the site's spaces first: global and personal spaces (and on
    /// Cloud collaboration and knowledge-base spaces); archived spaces only with
    /// ``includeArchived``. A space that appeared is synced in that cycle; the pages of a space
    /// that was deleted, archived or became invisible are removed in that cycle. A listing that
    /// fails, or that finds no space at all, ends the cycle before anything is changed.
    public var includesAllSpaces: Bool { spaces == [Self.allSpacesKey] }

    public init(
        name: String, url: String, auth: AuthenticationKind = .apiToken, email: String? = nil,
        tokenSource: TokenSource = .stored, spaces: [String] = [], rootPageIds: [String] = [],
        includeTitles: [String] = [], excludeTitles: [String] = [], excludeLabels: [String] = [],
        includeArchived: Bool = false, resyncIntervalSeconds: Int = defaultResyncInterval, rateLimit: Double? = nil,
        origin: String = "socket", content: ContentSelection = ContentSelection()
    ) {
        self.name = name
        self.url = url
        self.auth = auth
        self.email = email
        self.tokenSource = tokenSource
        self.spaces = spaces
        self.rootPageIds = rootPageIds
        self.includeTitles = includeTitles
        self.excludeTitles = excludeTitles
        self.excludeLabels = excludeLabels
        self.includeArchived = includeArchived
        self.resyncIntervalSeconds = resyncIntervalSeconds
        self.rateLimit = rateLimit
        self.origin = origin
        self.content = content
    }

    /// Decodes a stored configuration; one stored before ``content`` existed gets its defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        url = try container.decode(String.self, forKey: .url)
        auth = try container.decode(AuthenticationKind.self, forKey: .auth)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        tokenSource = try container.decode(TokenSource.self, forKey: .tokenSource)
        spaces = try container.decode([String].self, forKey: .spaces)
        rootPageIds = try container.decode([String].self, forKey: .rootPageIds)
        includeTitles = try container.decode([String].self, forKey: .includeTitles)
        excludeTitles = try container.decode([String].self, forKey: .excludeTitles)
        excludeLabels = try container.decode([String].self, forKey: .excludeLabels)
        includeArchived = try container.decode(Bool.self, forKey: .includeArchived)
        resyncIntervalSeconds = try container.decode(Int.self, forKey: .resyncIntervalSeconds)
        rateLimit = try container.decodeIfPresent(Double.self, forKey: .rateLimit)
        origin = try container.decode(String.self, forKey: .origin)
        content = try container.decodeIfPresent(ContentSelection.self, forKey: .content) ?? ContentSelection()
    }

    /// Checks what can be checked without the network; the message names the field.
    public func validate() throws(ConfigurationProblem) {
        try Self.validateName(name)
        if let problem = URLInput.problem(url, tokenHint: Self.tokenHint) {
            throw ConfigurationProblem(field: "url", message: problem)
        }
        let location: SpaceLocation
        do {
            location = try SpaceLocation.parse(url, allowingSiteURL: true)
        } catch {
            throw ConfigurationProblem(field: "url", message: error.message)
        }
        if location.isSiteOnly, spaces.isEmpty {
            throw ConfigurationProblem(
                field: "url", message: "the URL names no space; give a space URL, list `spaces`, or set `spaces = *` for every space")
        }
        switch auth {
        case .apiToken:
            guard let email, !email.isEmpty else {
                throw ConfigurationProblem(field: "email", message: "an API token needs the account email it belongs to")
            }
            if tokenSource == .none {
                throw ConfigurationProblem(field: "token", message: "an API token is required for api_token authentication")
            }
        case .personalAccessToken:
            if tokenSource == .none {
                throw ConfigurationProblem(field: "token", message: "a personal access token is required for pat authentication")
            }
        case .anonymous:
            break
        }
        if spaces.contains(Self.allSpacesKey) {
            guard spaces.count == 1 else {
                throw ConfigurationProblem(
                    field: "spaces", message: "`*` means every space and stands alone; list space keys or `*`, not both")
            }
            guard rootPageIds.isEmpty else {
                throw ConfigurationProblem(
                    field: "root_pages",
                    message: "page trees cannot be combined with `spaces = *`: list the spaces that hold the root pages instead")
            }
        } else {
            for key in spaces where key.isEmpty || !key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "~" || $0 == "_" }) {
                throw ConfigurationProblem(
                    field: "spaces", message: "“\(ConfigurationProblem.shorten(key))” is not a space key (or `*` for every space)")
            }
        }
        for id in rootPageIds where id.isEmpty || !id.allSatisfy(\.isNumber) {
            throw ConfigurationProblem(field: "root_pages", message: "“\(id)” is not a page id (digits only)")
        }
        if let rateLimit, !Limits.rateLimit.contains(rateLimit) {
            throw ConfigurationProblem(field: "rate_limit", message: "must be \(Limits.rateLimit.limits)")
        }
        if !Limits.resyncIntervalSeconds.contains(resyncIntervalSeconds) {
            throw ConfigurationProblem(field: "resync_interval", message: "must be \(Limits.resyncIntervalSeconds.limits)")
        }
        try content.validate()
    }

    /// Datastore names: 1–64 of `A-Z a-z 0-9 - _ .`, not starting with a dot.
    public static func validateName(_ name: String) throws(ConfigurationProblem) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
            throw ConfigurationProblem(
                field: "name", message: "“\(ConfigurationProblem.shorten(name))” is not a valid name: use 1–64 letters, digits, '-', '_' or '.'")
        }
    }
}

/// A datastore setting that cannot work, naming the field.
public struct ConfigurationProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// A long value cut to 60 characters, for messages that quote it.
    public static func shorten(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
