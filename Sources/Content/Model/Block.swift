/// A unit of page content that keeps its meaning for search and for citing.
///
/// Inline text inside blocks is plain text with light Markdown: inline code in backticks,
/// external links as `[text](url)`, images as `![alt](file)`, status lozenges as `[TITLE]`.
/// Links to pages, users, spaces and attachments show the text a reader sees; their targets are in
/// ``Document/links``.
public indirect enum Block: Sendable, Equatable {
    /// A paragraph; `\n` marks a hard line break.
    case paragraph(String)
    /// A heading met inside a container (panel, expand, list, cell), where it cannot start a
    /// section.
    case heading(level: Int, text: String)
    /// A `code` or `noformat` macro, or `<pre>`.
    case code(CodeBlock)
    /// A bulleted or numbered list.
    case list(ListBlock)
    /// A task list (`ac:task-list`).
    case tasks([TaskItem])
    /// A table.
    case table(Table)
    /// An `info`/`note`/`tip`/`warning`/`panel` macro or a Cloud editor panel.
    case callout(Callout)
    /// An `expand` macro: a titled, collapsible body.
    case expand(title: String, blocks: [Block])
    /// A `blockquote` or `quote` macro.
    case quote([Block])
    /// A horizontal rule.
    case rule
}

/// Verbatim text from a `code`/`noformat` macro (CDATA) or `<pre>`.
public struct CodeBlock: Sendable, Equatable {
    /// The `language` parameter, lower-cased; nil for `noformat`, `<pre>` or when unset.
    public var language: String?
    /// The `title` parameter, if any.
    public var title: String?
    /// The code exactly as stored, without a trailing newline.
    public var text: String

    /// Creates a code block.
    public init(language: String?, title: String?, text: String) {
        self.language = language
        self.title = title
        self.text = text
    }
}

/// A bulleted (`ul`) or numbered (`ol`) list.
public struct ListBlock: Sendable, Equatable {
    /// True for `ol`.
    public var isOrdered: Bool
    /// The number of the first item (`ol start`); 1 by default.
    public var start: Int
    /// The items, each a sequence of blocks (usually one paragraph, maybe a nested list).
    public var items: [[Block]]

    /// Creates a list.
    public init(isOrdered: Bool, start: Int, items: [[Block]]) {
        self.isOrdered = isOrdered
        self.start = start
        self.items = items
    }
}

/// One task of an `ac:task-list`.
public struct TaskItem: Sendable, Equatable {
    /// True when `ac:task-status` is `complete`.
    public var isComplete: Bool
    /// The task body; nested task lists appear as a ``Block/tasks(_:)`` block.
    public var blocks: [Block]

    /// Creates a task.
    public init(isComplete: Bool, blocks: [Block]) {
        self.isComplete = isComplete
        self.blocks = blocks
    }
}

/// A table as rows of single-line cell texts, padded to the same width.
///
/// `colspan` cells are followed by empty cells; `rowspan` cells repeat their text in the rows
/// they span, so every row reads on its own. Block content in a cell is joined with `<br>`.
public struct Table: Sendable, Equatable {
    /// The rows, header rows first.
    public var rows: [[String]]
    /// 1 when the first row is made of `th` cells (or sits in `thead`), else 0.
    public var headerRowCount: Int

    /// Creates a table.
    public init(rows: [[String]], headerRowCount: Int) {
        self.rows = rows
        self.headerRowCount = headerRowCount
    }

    /// The header cells, or nil when the table has no header row.
    public var header: [String]? { headerRowCount > 0 ? rows.first : nil }
}

/// A highlighted panel.
public struct Callout: Sendable, Equatable {
    /// What kind of panel it is.
    public var kind: CalloutKind
    /// The panel's `title` parameter, if any.
    public var title: String?
    /// The panel body.
    public var blocks: [Block]

    /// Creates a callout.
    public init(kind: CalloutKind, title: String?, blocks: [Block]) {
        self.kind = kind
        self.title = title
        self.blocks = blocks
    }

    /// The label a reader sees first: `"Note:"`, `"Warning:"`…; for a titled `panel`, its title.
    public var label: String {
        if kind == .panel, let title, !title.isEmpty { return title }
        return kind.label
    }
}

/// The kinds of panel Confluence offers.
public enum CalloutKind: String, Sendable, Equatable, CaseIterable {
    /// `info` macro or Cloud info panel.
    case info
    /// `note` macro or Cloud note panel.
    case note
    /// `tip` macro or Cloud success panel.
    case tip
    /// `warning` macro or Cloud warning panel.
    case warning
    /// Cloud error panel.
    case error
    /// Generic `panel` macro or custom Cloud panel.
    case panel

    /// `"Info:"`, `"Note:"`, … `"Panel:"`.
    public var label: String {
        switch self {
        case .info: "Info:"
        case .note: "Note:"
        case .tip: "Tip:"
        case .warning: "Warning:"
        case .error: "Error:"
        case .panel: "Panel:"
        }
    }
}
