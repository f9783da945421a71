import Foundation

// JSON shapes of the REST APIs. Every field is optional unless the client cannot work without
// it, and unknown fields are ignored, so extra fields and nulls from newer servers decode.

/// An id the API sends as a string (v2) or a number (v1).
struct FlexibleID: Decodable, Sendable {
    let value: String

    init(_ value: String) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else {
            value = String(try container.decode(Int64.self))
        }
    }
}

struct ListLinks: Decodable, Sendable {
    var next: String?
    var base: String?
    var context: String?
}

/// v2 `MultiEntityResult`.
struct V2List<Item: Decodable & Sendable>: Decodable, Sendable {
    var results: [Item]
    var _links: ListLinks?
}

struct V2Space: Decodable, Sendable {
    var id: FlexibleID
    var key: String
    var name: String?
    var type: String?
    var status: String?
    var homepageId: FlexibleID?
    var _links: WebLinks?
}

struct WebLinks: Decodable, Sendable {
    var webui: String?
    var base: String?
}

struct V2Version: Decodable, Sendable {
    var number: Int?
    var createdAt: String?
}

struct BodyValue: Decodable, Sendable {
    var value: String?
}

struct V2Body: Decodable, Sendable {
    var storage: BodyValue?
}

struct V2Page: Decodable, Sendable {
    var id: FlexibleID
    var status: String?
    var title: String?
    var spaceId: FlexibleID?
    var parentId: FlexibleID?
    var createdAt: String?
    var version: V2Version?
    var body: V2Body?
    var _links: WebLinks?
}

struct V2Label: Decodable, Sendable {
    var id: FlexibleID?
    var name: String
    var prefix: String?
}

struct V2Ancestor: Decodable, Sendable {
    var id: FlexibleID
    var type: String?
}

/// v1 `ContentArray` (and search results), with offset or cursor paging.
typealias V1ContentArray = V1Array<V1Content>

/// A v1 list (`ContentArray`, `SpaceArray`), with offset or cursor paging.
struct V1Array<Item: Decodable & Sendable>: Decodable, Sendable {
    var results: [Item]
    var start: Int?
    var limit: Int?
    var size: Int?
    var _links: ListLinks?
}

struct V1Space: Decodable, Sendable {
    var id: FlexibleID
    var key: String
    var name: String?
    var type: String?
    var status: String?
    var _links: WebLinks?
}

struct V1Content: Decodable, Sendable {
    struct History: Decodable, Sendable { var createdDate: String? }
    struct Version: Decodable, Sendable {
        var number: Int?
        var when: String?
    }
    struct Brief: Decodable, Sendable { var id: FlexibleID }
    struct Body: Decodable, Sendable { var storage: BodyValue? }
    struct LabelArray: Decodable, Sendable {
        var results: [V1Label]?
        var _links: ListLinks?
    }
    struct Metadata: Decodable, Sendable { var labels: LabelArray? }
    struct V1Label: Decodable, Sendable {
        var id: FlexibleID?
        var name: String
        var prefix: String?
    }

    var id: FlexibleID
    var type: String?
    var status: String?
    var title: String?
    var space: V1Space?
    var history: History?
    var version: Version?
    var ancestors: [Brief]?
    var body: Body?
    var metadata: Metadata?
    var _links: WebLinks?
}

/// The error envelope of both API generations, read only to quote the server's reason.
struct ErrorEnvelope: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        var title: String?
        var detail: String?
        var code: String?
    }
    var message: String?
    var errors: [Item]?

    var summary: String? {
        if let message, !message.isEmpty { return message }
        let parts = (errors ?? []).compactMap { item in item.detail ?? item.title }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

enum ISODate {
    /// Parses "2024-05-01T10:00:00.000Z" and the variants without fraction or with an offset.
    static func parse(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        // "2024-05-01T10:00Z" (X-RateLimit-Reset uses minute precision).
        let style = Date.ISO8601FormatStyle().year().month().day().dateTimeSeparator(.standard)
            .time(includingFractionalSeconds: false).timeZone(separator: .omitted)
        if let date = try? Date(text, strategy: style) { return date }
        if text.count == 17, text.hasSuffix("Z") {
            return try? Date(String(text.dropLast()) + ":00Z", strategy: Date.ISO8601FormatStyle())
        }
        return nil
    }
}

extension V2Page {
    func model(labels: [Label]? = nil) -> Page {
        Page(
            id: id.value,
            title: title ?? "",
            status: PageStatus(rawValue: status ?? "current"),
            spaceId: spaceId?.value,
            parentId: parentId?.value,
            version: version?.number ?? 1,
            lastModified: ISODate.parse(version?.createdAt),
            createdAt: ISODate.parse(createdAt),
            labels: labels,
            webui: _links?.webui,
            storageBody: body?.storage?.value
        )
    }
}

extension V1Content {
    func model(spaceId fallbackSpaceId: String?, includeLabels: Bool) -> Page {
        let ancestorIds = ancestors.map { $0.map(\.id.value) }
        return Page(
            id: id.value,
            title: title ?? "",
            status: PageStatus(rawValue: status ?? "current"),
            spaceId: space?.id.value ?? fallbackSpaceId,
            parentId: ancestorIds?.last,
            version: version?.number ?? 1,
            lastModified: ISODate.parse(version?.when),
            createdAt: ISODate.parse(history?.createdDate),
            labels: includeLabels ? expandedLabels : nil,
            ancestorIds: ancestorIds,
            webui: _links?.webui,
            storageBody: body?.storage?.value,
            contentType: type == ContentType.blogPost.rawValue ? .blogPost : .page
        )
    }
}

extension V1Content {
    /// The expanded `metadata.labels`; nil (unknown) when the server did not expand them or
    /// sent only part of them (a `next` link), never a wrong empty list.
    var expandedLabels: [Label]? {
        guard let array = metadata?.labels, array._links?.next == nil, let results = array.results else { return nil }
        return results.map { Label(id: $0.id?.value, name: $0.name, prefix: $0.prefix) }
    }
}

extension V2Space {
    var model: Space {
        Space(id: id.value, key: key, name: name ?? key, type: type, status: status,
              homepageId: homepageId?.value, webui: _links?.webui)
    }
}

extension V1Space {
    var model: Space {
        Space(id: id.value, key: key, name: name ?? key, type: type, status: status, webui: _links?.webui)
    }
}
