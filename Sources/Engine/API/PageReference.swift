import Foundation

/// How a caller names a page: its id, or a URL it is known by.
///
/// Accepted: a page id; a URL holding `/pages/ID` (Confluence Cloud's and the API's) or
/// `pageId=ID` (Data Center's `viewpage.action`); any other URL is the page's web URL as search
/// results cite it, matched against the manifest. A `#anchor` is ignored.
enum PageReference: Equatable {
    case id(String)
    case webURL(String)

    init(_ text: String) {
        var text = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        if let id = Self.digits(after: "pageId=", in: text) ?? Self.digits(after: "/pages/", in: text) {
            self = .id(id)
        } else if text.contains("://") || text.hasPrefix("/") {
            self = .webURL(String(text))
        } else {
            self = .id(String(text))
        }
    }

    /// The run of ASCII digits right after the first `marker` followed by one, when it ends
    /// the text or a path segment or parameter.
    private static func digits(after marker: String, in text: Substring) -> String? {
        var rest = text[...]
        while let range = rest.range(of: marker) {
            let tail = rest[range.upperBound...]
            let digits = tail.prefix { $0.isASCII && $0.isNumber }
            let next = tail.dropFirst(digits.count).first
            if !digits.isEmpty, next == nil || next == "/" || next == "&" || next == "?" { return String(digits) }
            rest = tail
        }
        return nil
    }
}
