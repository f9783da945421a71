import Testing
@testable import Content

@Suite("Macros")
struct MacroTests {
    @Test func codeMacroKeepsCDATALanguageAndTitle() {
        let blocks = allBlocks(Fixtures.codeMacro)
        #expect(blocks == [.code(CodeBlock(
            language: "swift", title: "Hello world", text: "let greeting = \"<hello> & bye\"\nprint(greeting)"))])
        #expect(markdown(Fixtures.codeMacro).contains("```swift\nlet greeting = \"<hello> & bye\"\nprint(greeting)\n```"))
    }

    @Test func noformatKeepsWhitespaceAndHasNoLanguage() {
        #expect(allBlocks(Fixtures.noformatMacro) == [
            .code(CodeBlock(language: nil, title: nil, text: "  indented   spacing\nkept")),
        ])
    }

    @Test func splitCDATARestoresTheClosingSequence() {
        #expect(allBlocks(Fixtures.splitCDATA) == [
            .code(CodeBlock(language: nil, title: nil, text: #"end = "]]>""#)),
        ])
    }

    @Test func panelsKeepBodyAndLabel() {
        let blocks = allBlocks(Fixtures.panels)
        #expect(blocks == [
            .callout(Callout(kind: .info, title: nil, blocks: [.paragraph("Info body")])),
            .callout(Callout(kind: .note, title: nil, blocks: [.paragraph("Note body")])),
            .callout(Callout(kind: .tip, title: nil, blocks: [.paragraph("Tip body")])),
            .callout(Callout(kind: .warning, title: nil, blocks: [.paragraph("Warning body")])),
        ])
        let text = markdown(Fixtures.panels)
        #expect(text == "> Info: Info body\n\n> Note: Note body\n\n> Tip: Tip body\n\n> Warning: Warning body")
    }

    @Test func panelMacroUsesItsTitleAsLabel() {
        let blocks = allBlocks(Fixtures.titledPanel)
        #expect(blocks == [.callout(Callout(kind: .panel, title: "Lookup rules", blocks: [.paragraph("Search first.")]))])
        #expect(markdown(Fixtures.titledPanel) == "> Lookup rules Search first.")
    }

    @Test func oldStyleInfoWithTitleShowsTitleAfterLabel() {
        #expect(markdown(Fixtures.oldInfoWithTitle) == "> Info: Before you begin\n> Get a token.")
    }

    @Test func expandKeepsTitleAndBody() {
        let blocks = allBlocks(Fixtures.expandMacro)
        #expect(blocks == [.expand(title: "Show details", blocks: [
            .paragraph("Hidden detail"),
            .list(ListBlock(isOrdered: false, start: 1, items: [[.paragraph("point")]])),
        ])])
        #expect(markdown(Fixtures.expandMacro) == "> Expand: Show details\n> Hidden detail\n>\n> - point")
    }

    @Test func navigationMacrosLeaveNothingAndAreNotFlagged() {
        let document = convert(Fixtures.navigationMacros)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("Only text")])
        #expect(document.macroFlags.isEmpty)
        #expect(document.warnings.isEmpty)
    }

    @Test func statusKeepsItsTitleInline() {
        #expect(allBlocks(Fixtures.statusMacro) == [.paragraph("State: [Done] since Monday")])
    }

    @Test func jiraMacrosAreFlaggedAndKeepTheIssueKey() {
        let document = convert(Fixtures.jiraMacros)
        #expect(document.macroFlags == ["jira": 1, "jiraissues": 1])
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("Fix in OPS-42")])
    }

    @Test func includesAreFlaggedKeepTheirBodyAndRecordTheTarget() {
        let document = convert(Fixtures.includeMacros)
        #expect(document.macroFlags == ["include": 1, "excerpt-include": 1])
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("Cached excerpt text")])
        #expect(document.links.map(\.target) == [
            .page(title: "Shared footer", spaceKey: "OPS"), .page(title: "Glossary", spaceKey: nil),
        ])
    }

    @Test func excerptBodyIsOrdinaryContent() {
        let document = convert(Fixtures.excerptMacro)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("Summary of the page.")])
        #expect(document.macroFlags.isEmpty)
    }

    @Test func viewFileShowsTheFileName() {
        let document = convert(Fixtures.viewFileMacro)
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("runbook.pdf")])
        #expect(document.links.map(\.target) == [.attachment(filename: "runbook.pdf", pageTitle: nil, spaceKey: nil)])
        #expect(document.macroFlags.isEmpty)
    }

    @Test func diagramsAndUnknownMacrosAreFlaggedWithWhatTheyCarry() {
        let document = convert(Fixtures.diagramMacros)
        #expect(document.macroFlags == ["gliffy": 1, "drawio": 1, "mystery-widget": 1])
        #expect(document.sections.flatMap(\.blocks) == [
            .paragraph("[Diagram: Network map] [Diagram: Flow chart]"),
            .paragraph("Widget body survives"),
        ])
    }

    @Test func flagsCountRepeatedMacros() {
        let storage = String(repeating: #"<ac:structured-macro ac:name="Gliffy" />"#, count: 3)
            + #"<ac:structured-macro ac:name="" />"#
        #expect(convert(storage).macroFlags == ["gliffy": 3, "(unnamed)": 1])
    }

    @Test func unknownMacroPlainBodyIsKeptVerbatim() {
        let storage = #"<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<b>raw</b>]]></ac:plain-text-body></ac:structured-macro>"#
        let document = convert(storage)
        #expect(document.macroFlags == ["html": 1])
        #expect(document.sections.flatMap(\.blocks) == [.code(CodeBlock(language: nil, title: nil, text: "<b>raw</b>"))])
    }

    @Test func headingsInsideUnknownRichBodyStillStartSections() {
        let storage = #"<ac:structured-macro ac:name="ui-tabs"><ac:rich-text-body><h2>Tab one</h2><p>x</p></ac:rich-text-body></ac:structured-macro>"#
        #expect(convert(storage).sections.map(\.heading) == ["", "Tab one"])
    }

    @Test func adfPanelUsesContentAndPanelType() {
        let document = convert(Fixtures.adfPanel)
        #expect(document.sections.flatMap(\.blocks) == [
            .callout(Callout(kind: .note, title: nil, blocks: [.paragraph("ADF panel body")])),
        ])
    }

    @Test func adfWithoutContentUsesFallback() {
        #expect(allBlocks(Fixtures.adfFallbackOnly) == [
            .list(ListBlock(isOrdered: false, start: 1, items: [[.paragraph("Decided: ship it")]])),
        ])
    }
}
