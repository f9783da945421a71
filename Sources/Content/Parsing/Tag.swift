/// The elements the converter treats specially. Anything else is `.other` and is rendered as a
/// transparent container (its children count, the element itself does not).
enum Tag: UInt8, Sendable {
    case other, root, text
    // HTML blocks
    case p, h1, h2, h3, h4, h5, h6, pre, blockquote, ul, ol, li, dl, dt, dd, hr, div
    case table, thead, tbody, tfoot, tr, th, td, caption, colgroup, col
    // HTML inline
    case br, a, code, img, time, script, style
    // Confluence
    case structuredMacro, macro, parameter, richTextBody, plainTextBody
    case link, plainTextLinkBody, linkBody, image, imageCaption
    case taskList, task, taskStatus, taskBody
    case emoticon, placeholder
    case adfExtension, adfNode, adfAttribute, adfContent, adfFallback
    // Resource identifiers
    case riPage, riBlogPost, riAttachment, riUser, riSpace, riURL, riContentEntity

    /// Elements that never have content, so a missing end tag is not a nesting error.
    var isVoid: Bool {
        switch self {
        case .br, .hr, .img, .col: true
        default: false
        }
    }

    /// Elements whose end tag HTML lets authors omit: closing their parent closes them quietly.
    var hasOptionalEndTag: Bool {
        switch self {
        case .p, .li, .dt, .dd, .tr, .td, .th, .thead, .tbody, .tfoot: true
        default: false
        }
    }

    /// `h1`…`h6` → 1…6, else nil.
    var headingLevel: Int? {
        switch self {
        case .h1: 1
        case .h2: 2
        case .h3: 3
        case .h4: 4
        case .h5: 5
        case .h6: 6
        default: nil
        }
    }

    /// Lower-case element name → tag. Other void HTML elements map to `.other` but are listed in
    /// ``otherVoidNames``.
    static let byName: [String: Tag] = [
        "p": .p, "h1": .h1, "h2": .h2, "h3": .h3, "h4": .h4, "h5": .h5, "h6": .h6,
        "pre": .pre, "blockquote": .blockquote, "ul": .ul, "ol": .ol, "li": .li,
        "dl": .dl, "dt": .dt, "dd": .dd, "hr": .hr, "div": .div,
        // Containers that only group blocks: each starts and ends a paragraph, like `div`.
        "ac:layout": .div, "ac:layout-section": .div, "ac:layout-cell": .div, "section": .div,
        "article": .div, "header": .div, "footer": .div, "main": .div, "aside": .div, "nav": .div,
        "figure": .div, "figcaption": .div, "center": .div, "details": .div, "summary": .div,
        "table": .table, "thead": .thead, "tbody": .tbody, "tfoot": .tfoot, "tr": .tr,
        "th": .th, "td": .td, "caption": .caption, "colgroup": .colgroup, "col": .col,
        "br": .br, "a": .a, "code": .code, "tt": .code, "kbd": .code, "samp": .code,
        "img": .img, "time": .time, "script": .script, "style": .style,
        "ac:structured-macro": .structuredMacro, "ac:macro": .macro,
        "ac:parameter": .parameter, "ac:default-parameter": .parameter,
        "ac:rich-text-body": .richTextBody, "ac:plain-text-body": .plainTextBody,
        "ac:link": .link, "ac:plain-text-link-body": .plainTextLinkBody, "ac:link-body": .linkBody,
        "ac:image": .image, "ac:caption": .imageCaption,
        "ac:task-list": .taskList, "ac:task": .task, "ac:task-status": .taskStatus,
        "ac:task-body": .taskBody,
        // Task ids and uuids are bookkeeping, never text: treat them like placeholders.
        "ac:task-id": .placeholder, "ac:task-uuid": .placeholder,
        "ac:emoticon": .emoticon, "ac:placeholder": .placeholder,
        "ac:adf-extension": .adfExtension, "ac:adf-node": .adfNode,
        "ac:adf-attribute": .adfAttribute, "ac:adf-content": .adfContent,
        "ac:adf-fallback": .adfFallback,
        "ri:page": .riPage, "ri:blog-post": .riBlogPost, "ri:attachment": .riAttachment,
        "ri:user": .riUser, "ri:space": .riSpace, "ri:url": .riURL,
        "ri:content-entity": .riContentEntity,
    ]

    /// HTML void elements without a tag of their own.
    static let otherVoidNames: Set<String> = [
        "input", "meta", "link", "area", "base", "wbr", "source", "embed", "param", "track",
    ]
}

/// Element name bytes → (tag, void), matched case-insensitively without making a String: an
/// open-addressing table over ``Tag/byName`` and ``Tag/otherVoidNames`` with an FNV-1a hash of
/// the lower-cased bytes. Every start and end tag of every page is looked up here.
struct TagLookup: Sendable {
    private struct Entry: Sendable {
        var name: [UInt8]
        var tag: Tag
        var isVoid: Bool
    }

    private var slots: [Entry?]
    private let mask: Int

    static let shared = TagLookup()

    private init() {
        var entries = Tag.byName.map { Entry(name: Array($0.key.utf8), tag: $0.value, isVoid: $0.value.isVoid) }
        entries += Tag.otherVoidNames.map { Entry(name: Array($0.utf8), tag: .other, isVoid: true) }
        var size = 16
        while size < entries.count * 4 { size *= 2 }
        mask = size - 1
        slots = Array(repeating: nil, count: size)
        for entry in entries {
            var slot = Self.hash(entry.name[...]) & mask
            while slots[slot] != nil { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    /// The tag of the element named by `name` (any case), and whether it is void.
    func info(_ name: UnsafeBufferPointer<UInt8>) -> (tag: Tag, isVoid: Bool) {
        var slot = Self.hash(name) & mask
        while let entry = slots[slot] {
            if entry.name.count == name.count, Self.equalsLowercased(entry.name, name) { return (entry.tag, entry.isVoid) }
            slot = (slot + 1) & mask
        }
        return (.other, false)
    }

    private static func hash<C: Collection<UInt8>>(_ bytes: C) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(lowercased(byte))) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }

    private static func equalsLowercased(_ lower: [UInt8], _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<name.count where lower[index] != lowercased(name[index]) { return false }
        return true
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
