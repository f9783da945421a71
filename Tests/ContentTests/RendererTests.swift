import Testing
@testable import Content

@Suite("Markdown rendering")
struct RendererTests {
    @Test func rendersAWholePage() {
        let storage = """
        <p>Intro</p><h1>Install</h1><ac:structured-macro ac:name="note"><ac:rich-text-body><p>Needs root.</p>\
        </ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="code">\
        <ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[apt install x]]>\
        </ac:plain-text-body></ac:structured-macro><h2>Check</h2><ac:task-list><ac:task>\
        <ac:task-status>complete</ac:task-status><ac:task-body>Runs</ac:task-body></ac:task></ac:task-list>\
        <table><tr><th>A</th></tr><tr><td>1</td></tr></table><ul><li><p>a</p><ul><li>b</li></ul></li></ul>
        """
        #expect(MarkdownRenderer.render(convert(storage, title: "Guide")) == """
        # Guide

        Intro

        # Install

        > Note: Needs root.

        ```bash
        apt install x
        ```

        ## Check

        - [x] Runs

        | A |
        | --- |
        | 1 |

        - a
          - b

        """)
    }

    @Test func fenceGrowsWhenCodeContainsBackticks() {
        let storage = #"<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[say ```hi```]]></ac:plain-text-body></ac:structured-macro>"#
        #expect(markdown(storage) == "````\nsay ```hi```\n````")
    }

    @Test func diagnosticsListFlagsAndWarnings() {
        let document = convert(#"<ac:structured-macro ac:name="jira" /><ac:structured-macro ac:name="drawio" /></p>"#)
        #expect(MarkdownRenderer.renderDiagnostics(document) == """
        Macros not rendered:
          drawio ×1
          jira ×1
        Parse warnings:
          @78: stray </p> ignored

        """)
        #expect(MarkdownRenderer.renderDiagnostics(convert("<p>ok</p>")).isEmpty)
    }

    @Test func codeInsideListKeepsIndentation() {
        let storage = #"<ol><li>Run:<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[make]]></ac:plain-text-body></ac:structured-macro></li></ol>"#
        #expect(markdown(storage) == "1. Run:\n   ```\n   make\n   ```")
    }
}
