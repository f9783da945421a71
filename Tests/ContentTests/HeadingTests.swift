import Testing
@testable import Content

@Suite("Headings, sections and anchors")
struct HeadingTests {
    @Test func anchorsFollowConfluenceCloudStyle() {
        #expect(HeadingAnchor.anchor(for: "Getting started") == "Getting-started")
        #expect(HeadingAnchor.anchor(for: "  What's  new?\t") == "What's-new?")
        #expect(HeadingAnchor.anchor(for: "Ünïcode Überschrift") == "Ünïcode-Überschrift")
    }

    @Test func sectionsCarryPathsAndUniqueAnchors() {
        let document = convert(Fixtures.headings)
        #expect(document.sections.map(\.headingPath) == [
            [], ["Install"], ["Install", "Debian"], ["Install", "Fedora"], ["Use"], ["Use", "Deep heading"],
            ["Use", "Debian"],
        ])
        #expect(document.sections.map(\.anchor) == ["", "Install", "Debian", "Fedora", "Use", "Deep-heading", "Debian.1"])
        #expect(document.sections[0].blocks == [.paragraph("Lead text")])
        #expect(document.sections[6].blocks == [.paragraph("again")])
    }

    @Test func duplicateNumberingSkipsTakenAnchors() {
        let document = convert("<h1>A</h1><h1>A.1</h1><h1>A</h1><h1>A</h1>")
        #expect(document.sections.dropFirst().map(\.anchor) == ["A", "A.1", "A.2", "A.3"])
    }

    @Test func headingTreeNestsByLevel() {
        let tree = convert(Fixtures.headings).headingTree
        #expect(tree.map(\.heading) == ["Install", "Use"])
        #expect(tree[0].children.map(\.heading) == ["Debian", "Fedora"])
        #expect(tree[1].children.map(\.heading) == ["Deep heading", "Debian"])
        #expect(tree[1].children[1].sectionIndex == 6)
    }

    @Test func emptyHeadingsAreIgnoredAndInlineMarkupIsText() {
        let document = convert("<h2> </h2><h2>Use <code>tool</code> <em>now</em></h2>")
        #expect(document.sections.map(\.heading) == ["", "Use `tool` now"])
        #expect(document.sections[1].anchor == "Use-tool-now")
    }
}
