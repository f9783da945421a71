/// Small storage-format fixtures written for these tests, one per element or gotcha of the
/// reference inventory. Each is named for what it exercises; `all` feeds the fuzz corpus.
enum Fixtures {
    static let codeMacro = """
    <ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="6f1d2c1e-0000-4000-8000-000000000001">\
    <ac:parameter ac:name="language">Swift</ac:parameter><ac:parameter ac:name="theme">Midnight</ac:parameter>\
    <ac:parameter ac:name="linenumbers">true</ac:parameter><ac:parameter ac:name="title">Hello world</ac:parameter>\
    <ac:parameter ac:name="breakoutMode">wide</ac:parameter>\
    <ac:plain-text-body><![CDATA[let greeting = "<hello> & bye"
    print(greeting)]]></ac:plain-text-body></ac:structured-macro>
    """

    static let noformatMacro = """
    <ac:structured-macro ac:name="noformat" ac:schema-version="1"><ac:plain-text-body><![CDATA[  indented   spacing
    kept]]></ac:plain-text-body></ac:structured-macro>
    """

    static let panels = """
    <ac:structured-macro ac:name="info" ac:schema-version="1"><ac:rich-text-body><p>Info body</p></ac:rich-text-body></ac:structured-macro>\
    <ac:structured-macro ac:name="note" ac:schema-version="1"><ac:rich-text-body><p>Note body</p></ac:rich-text-body></ac:structured-macro>\
    <ac:structured-macro ac:name="tip" ac:schema-version="1"><ac:rich-text-body><p>Tip body</p></ac:rich-text-body></ac:structured-macro>\
    <ac:structured-macro ac:name="warning" ac:schema-version="1"><ac:rich-text-body><p>Warning body</p></ac:rich-text-body></ac:structured-macro>
    """

    static let titledPanel = """
    <ac:structured-macro ac:name="panel" ac:schema-version="1"><ac:parameter ac:name="bgColor">#DEEBFF</ac:parameter>\
    <ac:parameter ac:name="panelIcon">:mag:</ac:parameter><ac:parameter ac:name="panelIconId">1f50d</ac:parameter>\
    <ac:parameter ac:name="panelIconText">🔍</ac:parameter><ac:parameter ac:name="title">Lookup rules</ac:parameter>\
    <ac:rich-text-body><p>Search first.</p></ac:rich-text-body></ac:structured-macro>
    """

    static let oldInfoWithTitle = """
    <ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Before you begin</ac:parameter>\
    <ac:parameter ac:name="icon">false</ac:parameter><ac:rich-text-body><p>Get a token.</p></ac:rich-text-body></ac:structured-macro>
    """

    static let expandMacro = """
    <ac:structured-macro ac:name="expand" ac:schema-version="1"><ac:parameter ac:name="title">Show details</ac:parameter>\
    <ac:rich-text-body><p>Hidden detail</p><ul><li>point</li></ul></ac:rich-text-body></ac:structured-macro>
    """

    static let navigationMacros = """
    <ac:structured-macro ac:name="toc" ac:schema-version="1"><ac:parameter ac:name="outline">true</ac:parameter>\
    <ac:parameter ac:name="style">none</ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="children" ac:schema-version="2"><ac:parameter ac:name="allChildren">true</ac:parameter>\
    <ac:parameter ac:name="depth">2</ac:parameter><ac:parameter ac:name="sort">title</ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="pagetree"><ac:parameter ac:name="root"><ac:link><ri:page ri:content-title="Home" /></ac:link></ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="livesearch"><ac:parameter ac:name="spaceKey"><ri:space ri:space-key="OPS" /></ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="recently-updated" />\
    <p>Only text<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">here</ac:parameter></ac:structured-macro></p>
    """

    static let statusMacro = """
    <p>State: <ac:structured-macro ac:name="status" ac:schema-version="1"><ac:parameter ac:name="colour">Green</ac:parameter>\
    <ac:parameter ac:name="title">Done</ac:parameter></ac:structured-macro> since Monday</p>
    """

    static let jiraMacros = """
    <p>Fix in <ac:structured-macro ac:name="jira" ac:schema-version="1"><ac:parameter ac:name="server">Company Jira</ac:parameter>\
    <ac:parameter ac:name="serverId">1c2d</ac:parameter><ac:parameter ac:name="key">OPS-42</ac:parameter></ac:structured-macro></p>\
    <ac:structured-macro ac:name="jiraissues"><ac:parameter ac:name="jqlQuery">project = OPS</ac:parameter>\
    <ac:parameter ac:name="columns">key,summary</ac:parameter><ac:parameter ac:name="maximumIssues">20</ac:parameter></ac:structured-macro>
    """

    static let includeMacros = """
    <ac:structured-macro ac:name="include" ac:schema-version="1"><ac:parameter ac:name="">\
    <ac:link><ri:page ri:space-key="OPS" ri:content-title="Shared footer" /></ac:link></ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="excerpt-include"><ac:parameter ac:name="nopanel">true</ac:parameter>\
    <ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Glossary" /></ac:link></ac:parameter>\
    <ac:rich-text-body><p>Cached excerpt text</p></ac:rich-text-body></ac:structured-macro>
    """

    static let excerptMacro = """
    <ac:structured-macro ac:name="excerpt"><ac:parameter ac:name="hidden">false</ac:parameter>\
    <ac:parameter ac:name="atlassian-macro-output-type">BLOCK</ac:parameter>\
    <ac:rich-text-body><p>Summary of the page.</p></ac:rich-text-body></ac:structured-macro>
    """

    static let viewFileMacro = """
    <ac:structured-macro ac:name="view-file"><ac:parameter ac:name="name"><ri:attachment ri:filename="runbook.pdf" /></ac:parameter>\
    <ac:parameter ac:name="height">250</ac:parameter></ac:structured-macro>
    """

    static let diagramMacros = """
    <ac:structured-macro ac:name="gliffy"><ac:parameter ac:name="name">Network map</ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="drawio"><ac:parameter ac:name="diagramDisplayName">Flow chart</ac:parameter>\
    <ac:parameter ac:name="diagramName">flow</ac:parameter><ac:parameter ac:name="revision">3</ac:parameter></ac:structured-macro>\
    <ac:structured-macro ac:name="mystery-widget"><ac:rich-text-body><p>Widget body survives</p></ac:rich-text-body></ac:structured-macro>
    """

    static let links = """
    <p><ac:link><ri:page ri:content-title="Install guide" ri:space-key="OPS" ri:version-at-save="3" />\
    <ac:plain-text-link-body><![CDATA[the guide]]></ac:plain-text-link-body></ac:link> | \
    <ac:link ac:anchor="Ports"><ri:page ri:content-title="Network" /></ac:link> | \
    <ac:link><ri:attachment ri:filename="spec.pdf"><ri:page ri:content-title="Specs" ri:space-key="ENG" /></ri:attachment></ac:link> | \
    <ac:link><ri:user ri:account-id="557058:aa11bb22" /></ac:link> | \
    <ac:link><ri:user ri:userkey="ff8080817" /></ac:link> | \
    <ac:link><ri:user ri:username="jdoe" /></ac:link> | \
    <ac:link><ri:space ri:space-key="HR" /><ac:link-body><strong>HR space</strong></ac:link-body></ac:link> | \
    <ac:link><ri:url ri:value="https://example.org/x" /></ac:link> | \
    <ac:link><ri:content-entity ri:content-id="98765" /></ac:link> | \
    <ac:link><ri:blog-post ri:content-title="Release notes" ri:space-key="OPS" ri:posting-day="2024/03/05" /></ac:link> | \
    <a href="https://example.com/doc">external doc</a> | <ac:link ac:anchor="Top" /></p>
    """

    static let images = """
    <p><ac:image ac:align="center" ac:layout="center" ac:width="400" ac:height="300" ac:alt="Architecture" \
    ac:original-width="800" ac:original-height="600" ac:custom-width="true" ac:title="arch">\
    <ri:attachment ri:filename="arch.png" /><ac:caption><p>Figure 1: overview</p></ac:caption></ac:image></p>\
    <p><ac:image><ri:url ri:value="https://example.org/logo.svg" /></ac:image></p>
    """

    static let tasks = """
    <ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-uuid>0f1e2d3c</ac:task-uuid>\
    <ac:task-status>complete</ac:task-status><ac:task-body>Write the plan</ac:task-body></ac:task>\
    <ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status>\
    <ac:task-body><span>Review it</span></ac:task-body></ac:task></ac:task-list>
    """

    static let layouts = """
    <ac:layout><ac:layout-section ac:type="two_right_sidebar" ac:breakout-mode="default">\
    <ac:layout-cell><h2>Left heading</h2><p>Left text</p></ac:layout-cell>\
    <ac:layout-cell><p>Right text</p></ac:layout-cell></ac:layout-section>\
    <ac:layout-section ac:type="single"><ac:layout-cell><p>Bottom text</p></ac:layout-cell></ac:layout-section></ac:layout>
    """

    static let emoticons = """
    <p>A<ac:emoticon ac:name="smile" /> B<ac:emoticon ac:name="blue-star" ac:emoji-shortname=":rocket:" \
    ac:emoji-id="1f680" ac:emoji-fallback="🚀" /> C<ac:emoticon ac:name="custom-thing" ac:emoji-shortname=":party:" /></p>
    """

    static let dates = #"<p>Due <time datetime="2024-03-05" /> latest.</p>"#

    static let inlineComment = """
    <p>Keep <ac:inline-comment-marker ac:ref="a1b2c3">this marked phrase</ac:inline-comment-marker> visible.</p>
    """

    static let placeholder = """
    <p><ac:placeholder>Type your summary here</ac:placeholder>Real text</p>
    """

    static let adfPanel = """
    <ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">note</ac:adf-attribute>\
    <ac:adf-content><p>ADF panel body</p></ac:adf-content></ac:adf-node>\
    <ac:adf-fallback><div class="panel"><p>ADF fallback body</p></div></ac:adf-fallback></ac:adf-extension>
    """

    static let adfFallbackOnly = """
    <ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-attribute key="local-id">x</ac:adf-attribute></ac:adf-node>\
    <ac:adf-fallback><ul><li>Decided: ship it</li></ul></ac:adf-fallback></ac:adf-extension>
    """

    static let table = """
    <table class="wrapped" data-layout="default" data-table-width="760"><colgroup><col style="width: 120px;" />\
    <col style="width: 200px;" /><col /></colgroup><tbody>\
    <tr><th>Host</th><th>Role</th><th>Notes</th></tr>\
    <tr><td rowspan="2">db1</td><td><div class="content-wrapper"><p>primary</p></div></td><td>backed up</td></tr>\
    <tr><td>replica</td><td>read only</td></tr>\
    <tr><td colspan="2">all hosts</td><td>patched</td></tr></tbody></table>
    """

    static let html = """
    <h1>Title one</h1><p><strong>bold</strong> <em>em</em> <u>under</u> <s>strike</s> <del>gone</del> \
    H<sub>2</sub>O x<sup>2</sup> <code>inline()</code> <span style="color: rgb(255,86,48);">red</span></p>\
    <h2>Two</h2><h3>Three</h3><h4>Four</h4><h5>Five</h5><h6>Six</h6>\
    <pre>line one\n  line two</pre><blockquote><p>Quoted words</p></blockquote><hr />\
    <p>first<br />second</p><ol start="3"><li>third</li><li>fourth</li></ol><ul><li>dot</li></ul>\
    <p><a href="https://example.net">site</a></p>
    """

    static let entities = """
    <p>caf&eacute; &auml;&ouml;&uuml; &mdash; &ndash; &hellip; &copy; &euro; &nbsp;x &#65;&#x42;&#X43; \
    &lt;tag&gt; &amp; &quot;q&quot; &apos;a&apos; &unknown; & alone &#xD83D; &#1114112;</p>
    """

    static let splitCDATA = """
    <ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[end = "]]]]><![CDATA[>"]]></ac:plain-text-body></ac:structured-macro>
    """

    static let selfClosingAndQuotes = """
    <p /><p>one</p><p class='single' id=bare data-x="double">two</p><ac:link /><br/><p>three</p>
    """

    static let headings = """
    <p>Lead text</p><h1>Install</h1><p>Overview</p><h2>Debian</h2><p>apt</p><h2>Fedora</h2><p>dnf</p>\
    <h1>Use</h1><h3>Deep   heading</h3><p>deep</p><h2>Debian</h2><p>again</p>
    """

    /// Every fixture with its name, for tests that sweep them all.
    static let all: [(name: String, storage: String)] = [
        ("codeMacro", codeMacro), ("noformatMacro", noformatMacro), ("panels", panels),
        ("titledPanel", titledPanel), ("oldInfoWithTitle", oldInfoWithTitle), ("expandMacro", expandMacro),
        ("navigationMacros", navigationMacros), ("statusMacro", statusMacro), ("jiraMacros", jiraMacros),
        ("includeMacros", includeMacros), ("excerptMacro", excerptMacro), ("viewFileMacro", viewFileMacro),
        ("diagramMacros", diagramMacros), ("links", links), ("images", images), ("tasks", tasks),
        ("layouts", layouts), ("emoticons", emoticons), ("dates", dates), ("inlineComment", inlineComment),
        ("placeholder", placeholder), ("adfPanel", adfPanel), ("adfFallbackOnly", adfFallbackOnly),
        ("table", table), ("html", html), ("entities", entities), ("splitCDATA", splitCDATA),
        ("selfClosingAndQuotes", selfClosingAndQuotes), ("headings", headings),
    ]
}
