import Confluence
import Foundation
import Logging

/// Turns a datastore's configuration into Confluence credentials and clients, sharing one
/// ``RateGovernor`` per site across every datastore on it.
final class SiteAccess: Sendable {
    let governors: RateGovernorRegistry
    private let rateLimits: RateLimitBook
    let credentialReader: any CredentialReader
    let logger: Logger

    init(defaultRateLimit: Double, credentials: any CredentialReader, logger: Logger) {
        let book = RateLimitBook(defaultRate: defaultRateLimit)
        rateLimits = book
        credentialReader = credentials
        self.logger = logger
        governors = RateGovernorRegistry { site in
            var configuration = RateGovernor.Configuration()
            configuration.requestsPerSecond = book.rate(for: site.origin)
            return configuration
        }
    }

    /// Records the rate a datastore asks for, before its site's governor is first made.
    func noteRateLimit(_ rate: Double?, for url: String) {
        guard let rate, let location = try? SpaceLocation.parse(url, allowingSiteURL: true) else { return }
        rateLimits.set(rate, for: location.site.origin)
    }

    /// The credentials, reading the secret from wherever the configuration says.
    func credentials(for configuration: DatastoreConfiguration, storedSecret: String?) throws(SyncFailure) -> ConfluenceCredentials {
        let secret: String?
        switch configuration.tokenSource {
        case .none:
            secret = nil
        case .stored:
            secret = storedSecret
        case .file(let path):
            secret = try readSecret(at: path, describedAs: "token file \(path)")
        case .credential(let name):
            secret = try readCredential(name)
        }
        switch configuration.auth {
        case .anonymous:
            return .anonymous
        case .apiToken:
            guard let secret, let email = configuration.email else {
                throw .configuration("no API token is stored for this datastore; set one with `tributaryctl update --token-file`")
            }
            return .apiToken(email: email, token: secret)
        case .personalAccessToken:
            guard let secret else {
                throw .configuration("no personal access token is stored for this datastore")
            }
            return .personalAccessToken(secret)
        }
    }

    private func readSecret(at path: String, describedAs what: String) throws(SyncFailure) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read the \(what) (missing or not readable by the daemon)")
        }
        return try trimmedSecret([UInt8](data), describedAs: what)
    }

    private func readCredential(_ name: String) throws(SyncFailure) -> String {
        let bytes: [UInt8]
        do {
            bytes = try credentialReader.read(name)
        } catch {
            switch error {
            case .noCredentials:
                throw .configuration("token_credential “\(name)” is set but the daemon has no $CREDENTIALS_DIRECTORY (use LoadCredential= in the unit)")
            case .unreadable, .invalidName:
                throw .configuration("cannot read the systemd credential \(name) (missing or not readable by the daemon)")
            }
        }
        return try trimmedSecret(bytes, describedAs: "systemd credential \(name)")
    }

    private func trimmedSecret(_ bytes: [UInt8], describedAs what: String) throws(SyncFailure) -> String {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .configuration("the \(what) is empty") }
        return text
    }

    /// Connects to the configured scope: confirms the site's kind and resolves the spaces.
    ///
    /// - A space (or page) URL and no `spaces`: that space.
    /// - Listed keys: each of them (a missing or invisible one fails the cycle).
    /// - `spaces = *`: every space the site lists for these credentials, listed completely now
    ///   (a failure part-way throws, so the cycle never starts on a partial listing). A listing
    ///   with no space at all fails too: on Data Center a wrong token is anonymous and sees
    ///   nothing, which must not empty the datastore.
    func connect(_ configuration: DatastoreConfiguration, credentials: ConfluenceCredentials,
                 waits: (@Sendable (ClientWait?) -> Void)? = nil) async throws(SyncFailure) -> (ConfluenceClient, [Space]) {
        let location: SpaceLocation
        do {
            location = try SpaceLocation.parse(configuration.url, allowingSiteURL: true)
        } catch {
            throw .configuration(error.message)
        }
        let governor = governors.governor(for: location.site)
        if configuration.includesAllSpaces {
            let (client, spaces) = try await allSpaces(location.site, configuration: configuration, credentials: credentials,
                                                       governor: governor, waits: waits)
            guard !spaces.isEmpty else {
                var isPAT = false
                if case .personalAccessToken = credentials { isPAT = true }
                throw .permanent(FailureReason(
                    kind: .spaceNotFound,
                    message: "Confluence lists no space these credentials can see, so `spaces = *` has nothing to index. "
                        + "Check that the account has View permission on some space"
                        + (isPAT ? "; on Data Center a wrong or expired personal access token "
                            + "is treated as anonymous, so also check the token." : ".")))
            }
            return (client, spaces)
        }
        do {
            if location.isSiteOnly {
                // validate() guarantees listed keys here.
                let client = try await ConfluenceClient.connect(
                    toSite: location.site, credentials: credentials, governor: governor, options: clientOptions(waits))
                var spaces: [Space] = []
                for key in configuration.spaces { spaces.append(try await client.space(key: key)) }
                return (client, spaces)
            }
            let (client, firstSpace) = try await ConfluenceClient.connect(
                to: location, credentials: credentials, governor: governor, options: clientOptions(waits))
            guard !configuration.spaces.isEmpty else { return (client, [firstSpace]) }
            // Listed keys are the scope; the URL's own space counts only when listed.
            var spaces: [Space] = []
            for key in configuration.spaces {
                if key.caseInsensitiveCompare(firstSpace.key) == .orderedSame {
                    spaces.append(firstSpace)
                } else {
                    spaces.append(try await client.space(key: key))
                }
            }
            return (client, spaces)
        } catch {
            throw SyncFailure(error)
        }
    }

    /// The site (whatever space its URL names, which `*` does not need) and every space it
    /// lists, each once.
    private func allSpaces(
        _ site: ConfluenceSite, configuration: DatastoreConfiguration, credentials: ConfluenceCredentials, governor: RateGovernor,
        waits: (@Sendable (ClientWait?) -> Void)?
    ) async throws(SyncFailure) -> (ConfluenceClient, [Space]) {
        do {
            let client = try await ConfluenceClient.connect(
                toSite: site, credentials: credentials, governor: governor, options: clientOptions(waits))
            var seen: Set<String> = []
            var spaces: [Space] = []
            for try await batch in client.spaces(includeArchived: configuration.includeArchived) {
                for space in batch where seen.insert(space.id).inserted { spaces.append(space) }
            }
            return (client, spaces)
        } catch {
            throw SyncFailure(error)
        }
    }

    /// A client for a site already resolved (processing batches need no discovery requests).
    func client(site: ConfluenceSite, credentials: ConfluenceCredentials,
                waits: (@Sendable (ClientWait?) -> Void)? = nil) -> ConfluenceClient {
        ConfluenceClient(site: site, credentials: credentials, governor: governors.governor(for: site), options: clientOptions(waits))
    }

    private func clientOptions(_ waits: (@Sendable (ClientWait?) -> Void)?) -> ConfluenceClient.Options {
        ConfluenceClient.Options(logger: logger, waitObserver: waits)
    }
}

/// Requested rates per site origin (the slowest request wins: a shared site is paced for its
/// most cautious datastore).
final class RateLimitBook: @unchecked Sendable {
    private let lock = NSLock()
    private var rates: [String: Double] = [:]
    let defaultRate: Double

    init(defaultRate: Double) { self.defaultRate = defaultRate }

    func set(_ rate: Double, for origin: String) {
        lock.withLock { rates[origin] = min(rates[origin] ?? .infinity, rate) }
    }

    func rate(for origin: String) -> Double {
        lock.withLock { rates[origin] ?? defaultRate }
    }
}
