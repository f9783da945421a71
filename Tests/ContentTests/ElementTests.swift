import Testing
@testable import Content

@Suite("Confluence and HTML elements")
struct ElementTests {
    @Test func linksKeepTextAndTarget() {
        let document = convert(Fixtures.links)
        let expected: [(String, LinkTarget)] = [
            ("the guide", .page(title: "Install guide", spaceKey: "OPS")),
            ("Network", .page(title: "Network", spaceKey: nil)),
            ("spec.pdf", .attachment(filename: "spec.pdf", pageTitle: "Specs", spaceKey: "ENG")),
            ("@557058:aa11bb22", .user(id: "557058:aa11bb22")),
            ("@ff8080817", .user(id: "ff8080817")),
            ("@jdoe", .user(id: "jdoe")),
            ("HR space", .space(key: "HR")),
            ("https://example.org/x", .url("https://example.org/x")),
            ("98765", .contentEntity(id: "98765")),
            ("Release notes", .blogPost(title: "Release notes", spaceKey: "OPS")),
            ("external doc", .url("https://example.com/doc")),
            ("Top", .anchorInPage),
        ]
        #expect(document.links.map(\.text) == expected.map(\.0))
        #expect(document.links.map(\.target) == expected.map(\.1))
        #expect(document.links[1].anchor == "Ports")
        #expect(document.links.allSatisfy { $0.sectionIndex == 0 })
        #expect(document.sections.flatMap(\.blocks) == [.paragraph(
            "the guide | Network | spec.pdf | @557058:aa11bb22 | @ff8080817 | @jdoe | HR space | "
                + "https://example.org/x | 98765 | Release notes | [external doc](https://example.com/doc) | Top")])
    }

    @Test func linkRecordsTheSectionItAppearsIn() {
        let document = convert(#"<h1>A</h1><h2>B</h2><p><a href="http://x.test">x</a></p>"#)
        #expect(document.links.map(\.sectionIndex) == [2])
    }

    @Test func imagesKeepAltCaptionAndSource() {
        #expect(allBlocks(Fixtures.images) == [
            .paragraph("![Architecture](arch.png) Figure 1: overview"),
            .paragraph("![](https://example.org/logo.svg)"),
        ])
    }

    @Test func imageWithoutAltUsesCaption() {
        let storage = #"<ac:image><ri:attachment ri:filename="a.png" /><ac:caption>The chart</ac:caption></ac:image>"#
        #expect(allBlocks(storage) == [.paragraph("![The chart](a.png)")])
    }

    @Test func taskListsKeepStatus() {
        #expect(allBlocks(Fixtures.tasks) == [.tasks([
            TaskItem(isComplete: true, blocks: [.paragraph("Write the plan")]),
            TaskItem(isComplete: false, blocks: [.paragraph("Review it")]),
        ])])
        #expect(markdown(Fixtures.tasks) == "- [x] Write the plan\n- [ ] Review it")
    }

    @Test func nestedTaskListsBelongToThePreviousTask() {
        let storage = "<ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>parent</ac:task-body></ac:task>"
            + "<ac:task-list><ac:task><ac:task-status>complete</ac:task-status><ac:task-body>child</ac:task-body></ac:task></ac:task-list></ac:task-list>"
        #expect(markdown(storage) == "- [ ] parent\n      - [x] child")
    }

    @Test func layoutsFlattenInOrderAndKeepHeadings() {
        let document = convert(Fixtures.layouts)
        #expect(document.sections.map(\.heading) == ["", "Left heading"])
        #expect(document.sections[1].blocks == [
            .paragraph("Left text"), .paragraph("Right text"), .paragraph("Bottom text"),
        ])
    }

    @Test func layoutCellsSeparateBareText() {
        let storage = "<ac:layout><ac:layout-section ac:type=\"two_equal\"><ac:layout-cell>left</ac:layout-cell>"
            + "<ac:layout-cell>right</ac:layout-cell></ac:layout-section></ac:layout>"
        #expect(allBlocks(storage) == [.paragraph("left"), .paragraph("right")])
    }

    @Test func emoticonsBecomeFallbackNamedOrShortname() {
        #expect(allBlocks(Fixtures.emoticons) == [.paragraph("A🙂 B🚀 C:party:")])
    }

    @Test func timeKeepsItsDatetime() {
        #expect(allBlocks(Fixtures.dates) == [.paragraph("Due 2024-03-05 latest.")])
    }

    @Test func inlineCommentMarkersKeepTheirText() {
        #expect(allBlocks(Fixtures.inlineComment) == [.paragraph("Keep this marked phrase visible.")])
    }

    @Test func placeholdersAreDropped() {
        #expect(allBlocks(Fixtures.placeholder) == [.paragraph("Real text")])
    }

    @Test func tablesBecomeRowsWithHeaderSpansFilled() {
        #expect(allBlocks(Fixtures.table) == [.table(Table(rows: [
            ["Host", "Role", "Notes"],
            ["db1", "primary", "backed up"],
            ["db1", "replica", "read only"],
            ["all hosts", "", "patched"],
        ], headerRowCount: 1))])
        #expect(markdown(Fixtures.table) == """
        | Host | Role | Notes |
        | --- | --- | --- |
        | db1 | primary | backed up |
        | db1 | replica | read only |
        | all hosts |  | patched |
        """)
    }

    @Test func tableWithoutHeaderCellsHasNoHeaderRow() {
        let storage = "<table><tr><td>a</td><td>b|c</td></tr><tr><td><p>x</p><p>y</p></td></tr></table>"
        #expect(allBlocks(storage) == [.table(Table(rows: [["a", "b|c"], ["x <br> y", ""]], headerRowCount: 0))])
        #expect(markdown(storage).contains(#"| a | b\|c |"#))
    }

    @Test func theadMakesAHeaderAndImpliedEndTagsWork() {
        let storage = "<table><thead><tr><td>K<td>V</thead><tbody><tr><td>1<td>2<tr><td>3<td>4</tbody></table>"
        let document = convert(storage)
        #expect(document.sections.flatMap(\.blocks) == [.table(Table(rows: [["K", "V"], ["1", "2"], ["3", "4"]], headerRowCount: 1))])
        #expect(document.warnings.isEmpty)
    }

    @Test func inlineHTMLFormattingBecomesPlainText() {
        let blocks = convert(Fixtures.html).sections[1].blocks
        #expect(blocks == [.paragraph("bold em under strike gone H2O x2 `inline()` red")])
    }

    @Test func blockHTMLElements() {
        let document = convert(Fixtures.html)
        #expect(document.sections.map(\.level) == [0, 1, 2, 3, 4, 5, 6])
        #expect(document.sections.map(\.heading) == ["", "Title one", "Two", "Three", "Four", "Five", "Six"])
        #expect(document.sections[6].blocks == [
            .code(CodeBlock(language: nil, title: nil, text: "line one\n  line two")),
            .quote([.paragraph("Quoted words")]),
            .rule,
            .paragraph("first\nsecond"),
            .list(ListBlock(isOrdered: true, start: 3, items: [[.paragraph("third")], [.paragraph("fourth")]])),
            .list(ListBlock(isOrdered: false, start: 1, items: [[.paragraph("dot")]])),
            .paragraph("[site](https://example.net)"),
        ])
        #expect(MarkdownRenderer.render(document.sections[6].blocks).contains("3. third\n4. fourth"))
    }

    @Test func headingsInsideContainersDoNotStartSections() {
        let storage = #"<ac:structured-macro ac:name="note"><ac:rich-text-body><h3>Inner</h3><p>x</p></ac:rich-text-body></ac:structured-macro>"#
        let document = convert(storage)
        #expect(document.sections.count == 1)
        #expect(document.sections[0].blocks == [.callout(Callout(kind: .note, title: nil, blocks: [
            .heading(level: 3, text: "Inner"), .paragraph("x"),
        ]))])
    }

    @Test func selfClosingTagsAndAllQuoteStyles() {
        let document = convert(Fixtures.selfClosingAndQuotes)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("one"), .paragraph("two"), .paragraph("three")])
        #expect(document.warnings.isEmpty)
    }

    @Test func attributeValuesDecodeEntitiesAndAnyQuoting() {
        let storage = #"<ac:link><ri:page ri:content-title='Tom &amp; Jerry' ri:space-key=KEY /></ac:link>"#
        #expect(convert(storage).links.map(\.target) == [.page(title: "Tom & Jerry", spaceKey: "KEY")])
    }
}
