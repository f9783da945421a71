import Foundation

/// The `id` that `search` returns and `fetch` takes: `DATASTORE/PAGEID`, optionally followed by
/// `#ANCHOR` for one section (anchors are listed in `fetch`'s `metadata.outline`).
///
/// Datastore names cannot contain `/` or `#` (1–64 of letters, digits, `-`, `_`, `.`), so the
/// first `/` splits unambiguously. `fetch` also takes what a model may have instead: the page's
/// URL (as search results cite it, `#anchor` meaning that section) or a bare page id; those
/// name no datastore, so every datastore is asked in turn (for a URL, those on the URL's host
/// first).
struct PageReference: Sendable, Equatable {
    /// nil when the reference names no datastore (a URL or a bare page id).
    var datastore: String?
    /// The page id, or the page's URL without its fragment.
    var page: String
    var section: String?

    init(datastore: String?, page: String, section: String? = nil) {
        self.datastore = datastore
        self.page = page
        self.section = section
    }

    /// The id of a page (or of one section of it).
    static func id(datastore: String, pageId: String, section: String? = nil) -> String {
        let base = datastore + "/" + pageId
        guard let section, !section.isEmpty else { return base }
        return base + "#" + section
    }

    /// Reads an id, a URL or a bare page id; nil when it is blank or malformed.
    init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        let (body, fragment) = Self.splitFragment(trimmed)
        let lowered = body.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            self.init(datastore: nil, page: body, section: fragment)
            return
        }
        guard let slash = body.firstIndex(of: "/") else {
            self.init(datastore: nil, page: body, section: fragment)
            return
        }
        let datastore = String(body[..<slash])
        let page = String(body[body.index(after: slash)...])
        guard !datastore.isEmpty, !page.isEmpty, !page.contains("/") else { return nil }
        self.init(datastore: datastore, page: page, section: fragment)
    }

    /// A URL's host, lowercased, when the reference is a URL.
    var host: String? {
        guard datastore == nil else { return nil }
        return URL(string: page)?.host?.lowercased()
    }

    private static func splitFragment(_ text: String) -> (String, String?) {
        guard let hash = text.firstIndex(of: "#") else { return (text, nil) }
        let fragment = String(text[text.index(after: hash)...])
        return (String(text[..<hash]), fragment.isEmpty ? nil : fragment.removingPercentEncoding ?? fragment)
    }
}
