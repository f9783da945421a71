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
