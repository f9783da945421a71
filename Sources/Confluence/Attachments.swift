import Foundation
import HTTP

/// A file attached to a page (issue #16), as listed with its page.
public struct Attachment: Sendable, Equatable, Codable {
    /// The attachment id (`att123` on Cloud v2, `att123` or a number on Data Center).
    public var id: String
    /// The file name.
    public var title: String
    public var mediaType: String?
    /// Bytes, when the listing says.
    public var fileSize: Int?
    public var version: Int
    /// The page it is attached to.
    public var pageId: String
    /// The download path relative to the site's base URL (`/download/attachments/…`).
    public var downloadPath: String?
    /// When this version was made, when the listing says.
    public var createdAt: Date?

    public init(id: String, title: String, mediaType: String?, fileSize: Int?, version: Int, pageId: String,
                downloadPath: String?, createdAt: Date? = nil) {
        self.id = id
        self.title = title
        self.mediaType = mediaType
        self.fileSize = fileSize
        self.version = version
        self.pageId = pageId
        self.downloadPath = downloadPath
        self.createdAt = createdAt
    }
}

/// How a download ended.
public enum AttachmentDownload: Sendable, Equatable {
    /// The whole file is at the path: this many bytes.
    case complete(bytes: Int)
    /// The file grew past the limit while downloading: the transfer was stopped.
    case tooLarge(limit: Int)
}

extension ConfluenceClient {
    /// Every current attachment of a page: Cloud `GET /wiki/api/v2/pages/{id}/attachments`
    /// (cursor links, ``Options/pageLimit`` a request), Data Center
    /// `GET /rest/api/content/{id}/child/attachment` (offsets, `expand=version`). A page that is
    /// gone has none (its removal is the page listing's business).
    public func attachments(ofPage pageId: String) async throws(ConfluenceError) -> [Attachment] {
        do throws(ConfluenceError) {
            switch site.flavor {
            case .cloud: return try await CloudAPI(transport).attachments(ofPage: pageId)
            case .dataCenter: return try await DataCenterAPI(transport).attachments(ofPage: pageId)
            }
        } catch where error.kind == .pageNotFound {
            return []
        }
    }

    /// Every current attachment of the pages the credentials can see, site-wide, where the API
    /// has such a listing: Cloud `GET /wiki/api/v2/attachments` (cursor links, 250 a request),
    /// read from the database like the page listings (no search-index lag). Nil on Data Center,
    /// whose only complete listing is per page (``attachments(ofPage:)``). Attachments of blog
    /// posts and custom content are left out.
    public func siteAttachments() async throws(ConfluenceError) -> [Attachment]? {
        switch site.flavor {
        case .cloud: return try await CloudAPI(transport).siteAttachments()
        case .dataCenter: return nil
        }
    }

    /// Downloads an attachment to `path` (created private, 0600; it must not exist), through the
    /// site's rate governor, stopping as soon as more than `maxBytes` arrived.
    public func download(_ attachment: Attachment, to path: String, maxBytes: Int) async throws(ConfluenceError) -> AttachmentDownload {
        guard let relative = attachment.downloadPath, !relative.isEmpty else {
            throw ConfluenceError(.unexpectedResponse, "Confluence gave no download link for attachment \(attachment.id).")
        }
        let url = relative.hasPrefix("http://") || relative.hasPrefix("https://") ? relative : site.baseURL + relative
        return try await transport.download(url, to: path, maxBytes: maxBytes, subject: .page(id: attachment.pageId))
    }
}

// MARK: Wire shapes

/// v2 `AttachmentBulk` (the fields used).
struct V2Attachment: Decodable, Sendable {
    var id: FlexibleID
    var status: String?
    var title: String?
    var pageId: FlexibleID?
    var mediaType: String?
    var fileSize: Int?
    var downloadLink: String?
    var version: V2Version?
    var _links: DownloadLinks?

    func model(pageId fallback: String) -> Attachment {
        Attachment(id: id.value, title: title ?? id.value, mediaType: mediaType, fileSize: fileSize, version: version?.number ?? 1,
                   pageId: pageId?.value ?? fallback, downloadPath: downloadLink ?? _links?.download,
                   createdAt: version?.createdAt.flatMap(parseAttachmentDate))
    }
}

struct DownloadLinks: Decodable, Sendable {
    var download: String?
    var webui: String?
}

/// v1 attachment `Content` (the fields used).
struct V1Attachment: Decodable, Sendable {
    struct Extensions: Decodable, Sendable {
        var mediaType: String?
        var fileSize: Int?
    }
    struct Metadata: Decodable, Sendable { var mediaType: String? }
    var id: FlexibleID
    var status: String?
    var title: String?
    var version: V1Content.Version?
    var extensions: Extensions?
    var metadata: Metadata?
    var _links: DownloadLinks?

    func model(pageId: String) -> Attachment {
        Attachment(id: id.value, title: title ?? id.value, mediaType: extensions?.mediaType ?? metadata?.mediaType,
                   fileSize: extensions?.fileSize, version: version?.number ?? 1, pageId: pageId,
                   downloadPath: _links?.download, createdAt: version?.when.flatMap(parseAttachmentDate))
    }
}

private func parseAttachmentDate(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
}

extension CloudAPI {
    func attachments(ofPage pageId: String) async throws(ConfluenceError) -> [Attachment] {
        let first = transport.site.restV2 + "/pages/" + queryEscape(pageId) + "/attachments?limit=\(transport.options.pageLimit)&status=current"
        return try await attachmentList(first: first, subject: .page(id: pageId), pageId: pageId)
    }

    func siteAttachments() async throws(ConfluenceError) -> [Attachment] {
        let first = transport.site.restV2 + "/attachments?limit=\(transport.options.pageLimit)&status=current"
        return try await attachmentList(first: first, subject: .search, pageId: nil)
    }

    /// Follows a v2 attachment list to its end; without `pageId`, items with no page are dropped.
    private func attachmentList(first: String, subject: Subject, pageId: String?) async throws(ConfluenceError) -> [Attachment] {
        var url: String? = first
        var result: [Attachment] = []
        var requests = 0
        while let current = url, requests < 10_000 {
            requests += 1
            let (list, response) = try await transport.json(V2List<V2Attachment>.self, current, subject)
            result += list.results.filter { ($0.status ?? "current") == "current" && (pageId != nil || $0.pageId != nil) }
                .map { $0.model(pageId: pageId ?? "") }
            guard let next = list._links?.next ?? NextLink.fromLinkHeader(response.headers), !list.results.isEmpty else { break }
            let nextURL = try NextLink.v2(next, site: transport.site)
            url = nextURL == current ? nil : nextURL
        }
        return result
    }
}

extension DataCenterAPI {
    func attachments(ofPage pageId: String) async throws(ConfluenceError) -> [Attachment] {
        let limit = transport.options.pageLimit
        var start = 0
        var result: [Attachment] = []
        var seen: Set<String> = []
        for _ in 0..<10_000 {
            let url = transport.site.restV1 + "/content/" + queryEscape(pageId) + "/child/attachment?limit=\(limit)&start=\(start)&expand=version"
            let (array, _) = try await transport.json(V1Array<V1Attachment>.self, url, .page(id: pageId))
            // A repeated record (CONFSERVER-95312) is dropped; `start` counts what was returned.
            let fresh = array.results.filter { seen.insert($0.id.value).inserted }
            result += fresh.filter { ($0.status ?? "current") == "current" }.map { $0.model(pageId: pageId) }
            guard array._links?.next != nil, !fresh.isEmpty else { break }
            start += array.results.count
        }
        return result
    }
}

extension Transport {
    /// GETs `url` into a private file at `path`, one governor permit, redirects followed (a
    /// Cloud download redirects to the media service). Stops past `maxBytes`.
    func download(_ url: String, to path: String, maxBytes: Int, subject: Subject) async throws(ConfluenceError) -> AttachmentDownload {
        var headers: HTTPHeaders = ["Accept": "*/*"]
        if let authorization = credentials.authorization { headers.add(name: "Authorization", value: authorization) }
        // The channel holds at most this much unread; the file limit is counted below.
        let request = HTTPRequest(url: url, headers: headers, connectTimeout: options.connectTimeout, timeout: options.requestTimeout,
                                  maxResponseBytes: 4 << 20)
        let permit: RateGovernor.Permit
        do {
            permit = try await governor.acquire()
        } catch {
            throw ConfluenceError(.cancelled, "The request to Confluence was cancelled.")
        }
        let response: HTTPStreamingResponse
        do throws(HTTPError) {
            response = try await http.stream(request)
        } catch {
            await governor.release(permit, error.isTransient ? .transportError : .neutral)
            throw classifier.classify(error)
        }
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.collect(upTo: 64 << 10)) ?? []
            let full = HTTPResponse(status: response.status, headers: response.headers, body: Data(body), finalURL: url)
            await governor.release(permit, response.status == 429 ? .throttled(response.headers) : .neutral)
            throw classifier.classify(full, subject: subject)
        }
        await governor.release(permit, .success(response.headers))
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            response.cancel()
            throw ConfluenceError(.unavailable, "Could not create a temporary file for an attachment (errno \(errno)).")
        }
        defer { close(descriptor) }
        var written = 0
        do throws(HTTPError) {
            while let chunk = try await response.nextChunk() {
                written += chunk.count
                if written > maxBytes {
                    response.cancel()
                    return .tooLarge(limit: maxBytes)
                }
                let ok = chunk.withUnsafeBytes { buffer -> Bool in
                    var offset = 0
                    while offset < buffer.count {
                        let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                        if count < 0 { if errno == EINTR { continue }; return false }
                        offset += count
                    }
                    return true
                }
                if !ok {
                    response.cancel()
                    throw HTTPError(.cancelled, url: url, detail: "writing the temporary file failed (errno \(errno))")
                }
            }
        } catch {
            throw classifier.classify(error)
        }
        return .complete(bytes: written)
    }
}
