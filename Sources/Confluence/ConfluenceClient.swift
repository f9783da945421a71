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

        public init(
            pageLimit: Int = 250, idsPerRequest: Int = 250, connectTimeout: Duration = .seconds(15),
            requestTimeout: Duration = .seconds(120), maxResponseBytes: Int = 256 << 20,
            logger: Logger = Logger(label: "tributary.confluence")
        ) {
            self.pageLimit = min(max(1, pageLimit), 250)
            self.idsPerRequest = min(max(1, idsPerRequest), 250)
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.logger = logger
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
    public static func connect(
        to location: SpaceLocation, credentials: ConfluenceCredentials, governor: RateGovernor,
        http: HTTPClient = .shared, options: Options = Options()
    ) async throws(ConfluenceError) -> (client: ConfluenceClient, space: Space) {
        var candidates = [location.site]
        var alternative = location.site
        switch location.site.flavor {
        case .cloud:
            alternative.flavor = .dataCenter  // a Data Center whose context path is /wiki
        case .dataCenter:
            alternative.flavor = .cloud  // an old Cloud link without /wiki
            alternative.contextPath += "/wiki"
        }
        candidates.append(alternative)

        var firstError: ConfluenceError?
        for site in candidates {
            let client = ConfluenceClient(site: site, credentials: credentials, governor: governor, http: http, options: options)
            do throws(ConfluenceError) {
                let key: String
                if let spaceKey = location.spaceKey {
                    key = spaceKey
                } else if let pageId = location.pageId {
                    key = try await client.spaceKey(forPageId: pageId)
                } else {
                    throw ConfluenceError(.invalidURL, "The URL names no space. \(SpaceLocation.examples)")
                }
                return (client, try await client.space(key: key))
            } catch {
                // Only "this is not that API" justifies trying the other flavor.
                guard error.kind == .notConfluence else { throw error }
                firstError = firstError ?? error
            }
        }
        throw firstError ?? ConfluenceError(.notConfluence, "\(location.site.baseURL) does not answer like Confluence.")
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

    /// The key of the space holding a page (for `viewpage.action?pageId=` URLs).
    public func spaceKey(forPageId pageId: String) async throws(ConfluenceError) -> String {
        switch site.flavor {
        case .cloud: try await CloudAPI(transport).spaceKey(forPageId: pageId)
        case .dataCenter: try await DataCenterAPI(transport).spaceKey(forPageId: pageId)
        }
    }

    // MARK: Pages

    /// Every page of a space with the given statuses, **without bodies**, in batches of up to
    /// ``Options/pageLimit``. Follows the server's `next` links; on Data Center corrects
    /// `start` by the number of results actually returned (servers cap `limit` silently).
    /// - Parameter includeLabels: Data Center only (labels come with the listing there);
    ///   on Cloud use ``labels(pageId:)``.
    public func pages(in space: Space, statuses: Set<PageStatus> = [.current], includeLabels: Bool = false) -> PageBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).pages(in: space, statuses: statuses)
        case .dataCenter: DataCenterAPI(transport).pages(in: space, statuses: statuses, includeLabels: includeLabels)
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
    public func search(cql: String, includeBodies: Bool = false) -> PageBatches {
        switch site.flavor {
        case .cloud: CloudAPI(transport).search(cql: cql, includeBodies: includeBodies)
        case .dataCenter: DataCenterAPI(transport).search(cql: cql, includeBodies: includeBodies)
        }
    }
}
