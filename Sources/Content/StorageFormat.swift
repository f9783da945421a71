/// Entry point: Confluence storage format (the XHTML-like body of a page) → ``Document``.
///
/// The parser is hand-written and tolerant. It takes a fragment with many top-level nodes and
/// undeclared `ac:`/`ri:` prefixes, HTML named and numeric character references, CDATA (also
/// split as `]]]]><![CDATA[>`), self-closing tags, attributes with single, double or no quotes,
/// and broken markup (truncated or stray tags, mis-nesting, unclosed elements, unclosed CDATA).
/// It never fails: it keeps the text it can and reports problems in ``Document/warnings``.
/// Work is linear in the input; nesting is bounded by ``ConversionOptions/maxNestingDepth``.
public enum StorageFormat {
    /// Converts a page body.
    /// - Parameters:
    ///   - storage: the `body.storage.value` of a page.
    ///   - title: the page title, carried into the document.
    ///   - options: limits for hostile input.
    public static func convert(_ storage: String, title: String = "",
                               options: ConversionOptions = ConversionOptions()) -> Document {
        convert(utf8: Array(storage.utf8), title: title, options: options)
    }

    /// Converts a page body given as UTF-8 bytes (invalid sequences become U+FFFD).
    public static func convert(utf8 bytes: [UInt8], title: String = "",
                               options: ConversionOptions = ConversionOptions()) -> Document {
        let tree = ElementTreeBuilder.parse(bytes, options: options)
        return DocumentAssembler(tree: tree).assemble(title: title)
    }
}
