/// How the converter treats each macro name.
enum MacroKind: Equatable {
    /// `code`: verbatim body with a language.
    case code
    /// `noformat`: verbatim body.
    case noFormat
    /// A panel with a label.
    case callout(CalloutKind)
    /// `expand`: titled body.
    case expand
    /// `quote` (Server): a block quote.
    case quote
    /// `status`: an inline lozenge.
    case status
    /// Attachment previews: shown as the file name.
    case attachmentView
    /// Navigation and listing macros that render other content: nothing to index.
    case navigation
    /// Wrappers whose body is ordinary page content.
    case transparent
    /// Content the converter cannot render (other pages, Jira, diagrams, unknown): flagged.
    case flagged

    /// Classifies a lower-cased macro name.
    static func of(_ name: String) -> MacroKind {
        byName[name] ?? .flagged
    }

    /// Every name with a kind other than ``flagged`` (a table, not a `switch`: a switch over
    /// strings compares them one by one, and every macro of every page is classified).
    private static let byName: [String: MacroKind] = {
        var table: [String: MacroKind] = [:]
        func add(_ kind: MacroKind, _ names: String...) {
            for name in names { table[name] = kind }
        }
        add(.code, "code", "code-block", "sourcecode")
        add(.noFormat, "noformat", "preformatted")
        add(.callout(.info), "info", "information")
        add(.callout(.note), "note")
        add(.callout(.tip), "tip")
        add(.callout(.warning), "warning")
        add(.callout(.panel), "panel")
        add(.expand, "expand", "ui-expand")
        add(.quote, "quote")
        add(.status, "status")
        add(.attachmentView, "view-file", "viewfile", "viewpdf", "viewdoc", "viewppt", "viewxls", "multimedia")
        add(.navigation, "toc", "toc-zone-marker", "children", "pagetree", "pagetreesearch", "livesearch", "search",
            "recently-updated", "recently-updated-dashboard", "anchor", "contentbylabel",
            "content-by-label", "blog-posts", "listlabels", "popular-labels", "related-labels",
            "navmap", "index", "spaces", "space-list", "attachments", "create-from-template",
            "create-space-button", "favpages", "page-index", "recently-used-labels", "contributors",
            "contributors-summary", "profile-picture", "network", "change-history", "page-info")
        add(.transparent, "excerpt", "section", "column", "details", "toc-zone", "div", "span", "center")
        return table
    }()
}

/// Emoticon names (`ac:name`) → the character Confluence shows, for emoticons stored without an
/// `ac:emoji-fallback`.
enum EmoticonNames {
    static let fallback: [String: String] = [
        "smile": "🙂", "sad": "🙁", "cheeky": "😛", "laugh": "😀", "wink": "😉",
        "thumbs-up": "👍", "thumbs-down": "👎", "information": "ℹ️", "tick": "✅", "cross": "❌",
        "warning": "⚠️", "plus": "➕", "minus": "➖", "question": "❓", "light-on": "💡",
        "light-off": "💡", "yellow-star": "⭐", "red-star": "⭐", "green-star": "⭐",
        "blue-star": "⭐", "heart": "❤️", "broken-heart": "💔",
    ]
}
