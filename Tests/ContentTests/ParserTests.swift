import Testing
@testable import Content

@Suite("Tolerant parsing")
struct ParserTests {
    @Test func namedNumericAndUnknownEntities() {
        let document = convert(Fixtures.entities)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph(
            "café äöü — – … © € x ABC <tag> & \"q\" 'a' &unknown; & alone \u{FFFD} \u{FFFD}")])
    }

    @Test func entityTableCoversCommonNames() {
        let samples: [(String, String)] = [
            ("rarr", "→"), ("larr", "←"), ("trade", "™"), ("reg", "®"), ("deg", "°"), ("times", "×"),
            ("ldquo", "“"), ("rdquo", "”"), ("lsquo", "‘"), ("rsquo", "’"), ("bull", "•"), ("middot", "·"),
            ("szlig", "ß"), ("Auml", "Ä"), ("ntilde", "ñ"), ("alpha", "α"), ("Omega", "Ω"), ("le", "≤"),
            ("check", "✓"), ("frac12", "½"), ("laquo", "«"), ("sect", "§"), ("para", "¶"), ("shy", "\u{AD}"),
        ]
        for (name, expected) in samples {
            #expect(allBlocks("<p>x&\(name);y</p>") == [.paragraph("x\(expected)y")], "entity \(name)")
        }
        #expect(HTMLEntities.table.count > 300)
    }

    @Test func nbspCollapsesLikeASpace() {
        #expect(allBlocks("<p>a&nbsp;&nbsp; b\u{00A0}\u{00A0}c\u{200B}d</p>") == [.paragraph("a b cd")])
        #expect(allBlocks("<p>&nbsp;</p><p>real</p>") == [.paragraph("real")])
    }

    @Test func whitespaceCollapsesAcrossInlineElements() {
        #expect(allBlocks("<p>  a \n\t <strong> b </strong>c  </p>") == [.paragraph("a b c")])
    }

    @Test func fragmentWithManyTopLevelNodesAndBareText() {
        let document = convert("loose text<p>para</p>tail")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("loose text"), .paragraph("para"), .paragraph("tail")])
    }

    @Test func truncatedTagIsDroppedWithWarning() {
        let document = convert(#"<p>kept</p><ac:structured-macro ac:name="code"#)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("kept")])
        #expect(document.warnings.map(\.message).contains("truncated tag at end of input dropped"))
    }

    @Test func truncatedQuotedAttributeIsDropped() {
        let document = convert(#"<p>a</p><p class="never closed>b"#)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("a")])
        #expect(!document.warnings.isEmpty)
    }

    @Test func strayLessThanIsText() {
        let document = convert("<p>1 < 2 and 3 <4 and <</p>")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("1 < 2 and 3 <4 and <")])
        #expect(document.warnings.filter { $0.message == "stray '<' kept as text" }.count == 3)
    }

    @Test func unclosedCDATAKeepsTheRestAsText() {
        let storage = #"<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[echo "unterminated"#
        let document = convert(storage)
        #expect(document.sections.flatMap(\.blocks) == [.code(CodeBlock(language: nil, title: nil, text: #"echo "unterminated"#))])
        #expect(document.warnings.contains { $0.message.contains("unclosed CDATA") })
    }

    @Test func commentsAndDeclarationsAreSkipped() {
        let document = convert("<!-- note --><?xml version=\"1.0\"?><!DOCTYPE x><p>a<!-- b -->c</p><!-- open")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("ac")])
        #expect(document.warnings.map(\.message) == ["unclosed comment: rest of input ignored"])
    }

    @Test func misnestedTagsCloseIntermediateElements() {
        let document = convert("<p>a <strong>b <em>c</strong> d</em> e</p><p>f</p>")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("a b c d e"), .paragraph("f")])
        #expect(document.warnings.count == 2)
    }

    @Test func unclosedElementsAreReportedAtTheEnd() {
        let document = convert("<div><ul><li>one<li>two")
        #expect(document.sections.flatMap(\.blocks) == [
            .list(ListBlock(isOrdered: false, start: 1, items: [[.paragraph("one")], [.paragraph("two")]])),
        ])
        #expect(document.warnings.last?.message.contains("not closed at end of input") == true)
    }

    @Test func endTagWithoutNameIsSkippedLikeHTML() {
        let document = convert("<p>a</ b>c</</p>d</p>")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("acd")])
        #expect(document.warnings.filter { $0.message == "malformed end tag skipped" }.count == 2)
    }

    @Test func brokenTagEndsAtNextLessThan() {
        let document = convert("<p class=\"x\" <strong>bold</strong></p>")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("bold")])
    }

    @Test func hugeNestingIsBoundedAndKeepsText() {
        let depth = 5_000
        let storage = String(repeating: "<div><span>", count: depth) + "deep text"
            + String(repeating: "</span></div>", count: depth)
        let document = convert(storage)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("deep text")])
        #expect(document.warnings.contains { $0.message.contains("nesting deeper than 256") })
    }

    @Test func deepNestingOfHeavyContainersDoesNotExhaustTheStack() {
        // Lists, tables, panels and links each recurse through several frames per level.
        let opening = #"<ul><li><table><tr><td><ac:structured-macro ac:name="note"><ac:rich-text-body><ac:link><ac:link-body>"#
        let closing = "</ac:link-body></ac:link></ac:rich-text-body></ac:structured-macro></td></tr></table></li></ul>"
        let storage = String(repeating: opening, count: 200) + "core" + String(repeating: closing, count: 200)
        let document = convert(storage)
        #expect(MarkdownRenderer.render(document).contains("core"))
    }

    @Test func manyWarningsAreCapped() {
        let document = StorageFormat.convert(String(repeating: "</x>", count: 500), options: ConversionOptions(maxWarnings: 10))
        #expect(document.warnings.count == 10)
        #expect(document.warnings.last?.message == "491 more warning(s) not shown")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let document = StorageFormat.convert(utf8: Array("<p>a".utf8) + [0xFF, 0xFE] + Array("b</p>".utf8))
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("a\u{FFFD}\u{FFFD}b")])
    }

    @Test func uppercaseTagNamesAreRecognised() {
        #expect(allBlocks("<P>x</P><UL><LI>y</LI></UL>") == [
            .paragraph("x"), .list(ListBlock(isOrdered: false, start: 1, items: [[.paragraph("y")]])),
        ])
    }

    @Test func emptyInputYieldsEmptyDocument() {
        let document = convert("", title: "")
        #expect(document.isEmpty)
        #expect(document.sections.count == 1)
        #expect(document.warnings.isEmpty)
    }
}
