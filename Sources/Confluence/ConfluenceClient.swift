import Foundation
import HTTP
import Logging

/// Reads one Confluence site: Cloud through REST v2 (and v1 for CQL search), Data Center
/// through REST v1. Every request is paced by the site's ``RateGovernor``.
public final class ConfluenceClient: Sendable {
    /// Request limits and page size.
    public struct Options: Sendable {
        /// Items per listing request (the APIs allow at most 250).
        public var pageLimit: Int
        /// Ids per bulk body request (at most 250 on Cloud).
        public var idsPerRequest: Int
        public var connectTimeout: Duration
        public var requestTimeout: Duration
        public var maxResponseBytes: Int
        /// Receives retries and throttling (URLs redacted, never credentials).
        public var logger: Logger
        /// Told of each wait longer than ``waitReportThreshold`` as it starts (throttled,
        /// retrying, awaiting a slow response), and nil when the requests move again. Called in
        /// order under a lock: it must be quick and must not call back into the client.
        public var waitObserver: (@Sendable (ClientWait?) -> Void)?
        /// Shorter waits are not reported.
        public var waitReportThreshold: Duration
        /// A response not complete after this long is reported as awaited (a slow or trickling server).
        public var slowResponseAfter: Duration

        public init(
            pageLimit: Int = 250, idsPerRequest: Int = 250, connectTimeout: Duration = .seconds(15),
            requestTimeout: Duration = .seconds(120), maxResponseBytes: Int = 256 << 20,
            logger: Logger = Logger(label: "tributary.confluence"),
            waitObserver: (@Sendable (ClientWait?) -> Void)? = nil,
            waitReportThreshold: Duration = .seconds(1), slowResponseAfter: Duration = .seconds(5)
        ) {
            self.pageLimit = min(max(1, pageLimit), 250)
            self.idsPerRequest = min(max(1, idsPerRequest), 250)
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.logger = logger
            self.waitObserver = waitObserver
            self.waitReportThreshold = waitReportThreshold
            self.slowResponseAfter = slowResponseAfter
        }
    }

    public let site: ConfluenceSite
    public let governor: RateGovernor
    let transport: Transport

    /// A client for a site whose flavor is already known (e.g. stored configuration).
    /// For a freshly pasted URL use ``connect(to:credentials:governor:http:options:)``.
    public init(
        site: ConfluenceSite, credentials: ConfluenceCredentials, governor: RateGovernor,
        http: HTTPClient = .shared, options: Options = Options()
    ) {
        self.site = site
        self.governor = governor
        transport = Transport(site: site, credentials: credentials, http: http, governor: governor, options: options)
    }

    var options: Options { transport.options }

    /// Opens the space a person pasted: confirms the kind of site with the API (a `/wiki`
    /// path that answers like Data Center is treated as Data Center, and the other way round),
    /// resolves the space key (from the page id if that is all the URL had), and checks that
    /// the space is visible with these credentials.
    ///
    /// A URL that names only the site fails with ``ConfluenceError/Kind/invalidURL``; open it
    /// with ``connect(toSite:credentials:governor:http:options:)`` instead.
    public static func connect(
        to location: SpaceLocation, credentials: ConfluenceCredentials, governor: RateGovernor,
        http: HTTPClient = .shared, options: Options = Options()
    ) async throws(ConfluenceError) -> (client: ConfluenceClient, space: Space) {
        guard !location.isSiteOnly else {
            throw ConfluenceError(.invalidURL, "The URL names no space. \(SpaceLocation.examples)")
        }
        let (client, space) = try await firstFlavorAnswering(
            location.site, credentials: credentials, governor: governor, http: http, options: options
        ) { client throws(ConfluenceError) in
            let key: String
            if let spaceKey = location.spaceKey {
                key = spaceKey
            } else {
                key = try await client.spaceKey(forPageId: location.pageId ?? "")
            }
            return try await client.space(key: key)
        }
        return (client, space)
    }

    /// Opens a whole site (a URL such as `https://x.atlassian.net/wiki` or a Data Center base
    /// URL, parsed with `allowingSiteURL`): confirms the kind of site with one cheap request,
    /// the space listing with a limit of 1, falling back to the other flavor exactly as
    /// ``connect(to:credentials:governor:http:options:)`` does. Wrong credentials fail here;
    /// on Data Center a wrong personal access token is anonymous, not an error, and shows only
    /// as fewer (or no) visible spaces.
    public static func connect(
        toSite site: ConfluenceSite, credentials: ConfluenceCredentials, governor: RateGovernor,
        http: HTTPClient = .shared, options: Options = Options()
    ) async throws(ConfluenceError) -> ConfluenceClient {
        try await firstFlavorAnswering(
            site, credentials: credentials, governor: governor, http: http, options: options
        ) { client throws(ConfluenceError) in
            try await client.probe()
        }.client
    }

    /// Runs `attempt` on a client for `site`, then, only if that answered "this is not that
    /// API", on the other flavor: Data Center whose context path is `/wiki`, or an old Cloud
    /// link without `/wiki`.
    private static func firstFlavorAnswering<T: Sendable>(
        _ site: ConfluenceSite, credentials: ConfluenceCredentials, governor: RateGovernor,
        http: HTTPClient, options: Options,
        _ attempt: (ConfluenceClient) async throws(ConfluenceError) -> T
    ) async throws(ConfluenceError) -> (client: ConfluenceClient, value: T) {
        var candidates = [site]
        var alternative = site
        switch site.flavor {
        case .cloud:
            alternative.flavor = .dataCenter  // a Data Center whose context path is /wiki
        case .dataCenter:
            alternative.flavor = .cloud  // an old Cloud link without /wiki
            alternative.contextPath += "/wiki"
        }
        candidates.append(alternative)

        var firstError: ConfluenceError?
        for candidate in candidates {
            let client = ConfluenceClient(site: candidate, credentials: credentials, governor: governor, http: http, options: options)
            do throws(ConfluenceError) {
                return (client, try await attempt(client))
            } catch {
                // Only "this is not that API" justifies trying the other flavor.
                guard error.kind == .notConfluence else { throw error }
                firstError = firstError ?? error
            }
        }
        throw firstError ?? ConfluenceError(.notConfluence, "\(site.baseURL) does not answer like Confluence.")
    }

    // MARK: Spaces

    /// The space with this key. Fails with ``ConfluenceError/Kind/spaceNotFound`` when it does
    /// not exist or is not visible (Confluence does not distinguish the two).
    public func space(key: String) async throws(ConfluenceError) -> Space {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).space(key: key)
        case .dataCenter: try await DataCenterAPI(transport).space(key: key)
        }
    }

    /// Every space visible to these credentials, in batches of up to ``Options/pageLimit``,
    /// fetched as the sequence is iterated: Cloud `GET /wiki/api/v2/spaces` (cursor links),
    /// Data Center `GET /rest/api/space` (offsets, corrected like page listings).
    ///
    /// What is included:
    /// - every space type: global and personal (`~user`) spaces, and on Cloud also
    ///   collaboration and knowledge-base spaces. Personal spaces are ordinary content a
    ///   person chose to share; a caller that wants only global spaces filters on
    ///   ``Space/type``.
    /// - current spaces, and archived ones only with `includeArchived` (a datastore that
    ///   includes archived pages includes archived spaces too).
    /// - nothing the account cannot see: invisible spaces are absent, exactly like missing ones.
    ///
    /// A listing that throws is incomplete: callers must not treat the spaces seen so far as
    /// all there are.
    public func spaces(includeArchived: Bool = false) -> SpaceBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).spaces(includeArchived: includeArchived)
        case .dataCenter: DataCenterAPI(transport).spaces(includeArchived: includeArchived)
        }
    }

    /// One cheap request that succeeds only if this site speaks this flavor's API and accepts
    /// the credentials (the space listing with a limit of 1).
    public func probe() async throws(ConfluenceError) {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).probe()
        case .dataCenter: try await DataCenterAPI(transport).probe()
        }
    }

    /// The key of the space holding a page (for `viewpage.action?pageId=` URLs).
    public func spaceKey(forPageId pageId: String) async throws(ConfluenceError) -> String {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).spaceKey(forPageId: pageId)
        case .dataCenter: try await DataCenterAPI(transport).spaceKey(forPageId: pageId)
        }
    }

    // MARK: Pages

    /// Every page of a space with the given statuses, in batches of up to ``Options/pageLimit``.
    /// Follows the server's `next` links; on Data Center corrects `start` by the number of
    /// results actually returned (servers cap `limit` silently).
    /// - Parameter includeLabels: Data Center only: each page's labels come with the listing
    ///   (the `metadata.labels` expansion), at no extra request. Cloud's listing carries none;
    ///   there use ``contentLabels(in:)`` and ``labelledContent(cql:)``.
    /// - Parameter bodies: each page carries its storage body (Cloud v2 `body-format=storage`,
    ///   Data Center `expand=body.storage`), so a whole space is read in ⌈pages / limit⌉
    ///   requests; without, metadata only (the cheap listing that finds what changed).
    public func pages(in space: Space, statuses: Set<PageStatus> = [.current], includeLabels: Bool = true,
                      bodies: Bool = false) -> PageBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).pages(in: space, statuses: statuses, bodies: bodies)
        case .dataCenter: DataCenterAPI(transport).pages(in: space, statuses: statuses, includeLabels: includeLabels, bodies: bodies)
        }
    }

    /// Pages by id **with storage bodies**, in requests of up to ``Options/idsPerRequest`` ids.
    /// Pages that no longer exist or are not visible are simply absent from the result.
    public func pages(ids: [String], statuses: Set<PageStatus> = [.current, .archived]) async throws(ConfluenceError) -> [Page] {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).pages(ids: ids, statuses: statuses)
        case .dataCenter: try await DataCenterAPI(transport).pages(ids: ids)
        }
    }

    /// The labels of one page.
    public func labels(pageId: String) async throws(ConfluenceError) -> [Label] {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).labels(pageId: pageId)
        case .dataCenter: try await DataCenterAPI(transport).labels(pageId: pageId)
        }
    }

    /// Every label used on the content of a space, each once (Cloud
    /// `GET /wiki/api/v2/spaces/{id}/content/labels`, cursor links, ``Options/pageLimit`` per
    /// request). Cloud only: Data Center listings carry each page's labels instead, and there
    /// this listing fails with ``ConfluenceError/Kind/badRequest``.
    public func contentLabels(in space: Space) -> LabelBatches {
        switch site.flavor {
        case .cloud:
            return CloudAPI(transport).contentLabels(in: space)
        case .dataCenter:
            return LabelBatches(first: .init(url: "")) { _ throws(ConfluenceError) in
                throw ConfluenceError(.badRequest, "Data Center has no listing of the labels used in a space; its page listings carry labels.")
            }
        }
    }

    /// Ids of a page's ancestors, root first.
    public func ancestors(pageId: String) async throws(ConfluenceError) -> [String] {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).ancestors(pageId: pageId)
        case .dataCenter: try await DataCenterAPI(transport).ancestors(pageId: pageId)
        }
    }

    /// Pages matching a CQL query (v1 `content/search`: cursor links on Cloud, offsets on
    /// Data Center), for incremental sync, e.g.
    /// `type=page and space="ENG" and lastmodified >= "2025-01-02 03:04" order by lastmodified asc`.
    /// With `includeLabels` each page carries all its labels (`metadata.labels`), so one search
    /// for `label in (…)` tells every labelled page's labels.
    public func search(cql: String, includeBodies: Bool = false, includeLabels: Bool = false) -> PageBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).search(cql: cql, includeBodies: includeBodies, includeLabels: includeLabels)
        case .dataCenter: DataCenterAPI(transport).search(cql: cql, includeBodies: includeBodies, includeLabels: includeLabels)
        }
    }

    /// The id and all the labels of each piece of content matching a CQL query (v1
    /// `content/search` expanding `metadata.labels` alone): what a label survey needs, without
    /// the version, space, history and ancestors ``search(cql:includeBodies:includeLabels:)``
    /// carries for sync (several times the bytes to send and decode).
    public func labelledContent(cql: String) -> LabelledContentBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).labelledContent(cql: cql)
        case .dataCenter: DataCenterAPI(transport).labelledContent(cql: cql)
        }
    }
}
