/// Measures conversion throughput on synthetic pages, for `scripts/bench` and quick checks.
public enum ContentBenchmark {
    /// A synthetic page body of about `bytes` bytes that uses the common storage-format elements:
    /// headings, paragraphs with inline markup and entities, links, code macros with CDATA,
    /// panels, tables, task lists, layouts and images.
    public static func syntheticStorage(bytes: Int) -> String {
        var output = ""
        output.reserveCapacity(bytes + 4_096)
        var section = 0
        while output.utf8.count < bytes {
            section += 1
            output += """
            <h2>Section \(section) &ndash; setup</h2>
            <p>The <strong>daemon</strong> reads <code>/etc/tributary.conf</code> on start&nbsp;and \
            <em>reloads</em> it on <a href="https://example.com/docs/\(section)">SIGHUP</a>. See \
            <ac:link><ri:page ri:content-title="Install guide" ri:space-key="OPS" />\
            <ac:plain-text-link-body><![CDATA[the install guide]]></ac:plain-text-link-body></ac:link> \
            and ask <ac:link><ri:user ri:account-id="5b10ac8d82e05b22cc7d4ef5" /></ac:link>.</p>
            <ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="m\(section)">\
            <ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[sudo apt-get install tributary
            systemctl enable --now tributaryd
            if [ -f /etc/x ] && [ 1 -lt 2 ]; then echo ok; fi]]></ac:plain-text-body></ac:structured-macro>
            <ac:structured-macro ac:name="note" ac:schema-version="1"><ac:rich-text-body>\
            <p>Restart after changing &quot;limits&quot; &mdash; caf&eacute; &#8230; done.</p>\
            </ac:rich-text-body></ac:structured-macro>
            <table class="wrapped"><colgroup><col /><col /></colgroup><tbody>\
            <tr><th>Setting</th><th>Default</th></tr>\
            <tr><td><p>workers</p></td><td>4</td></tr><tr><td>timeout</td><td>30 s</td></tr></tbody></table>
            <ac:task-list><ac:task><ac:task-id>\(section)</ac:task-id><ac:task-status>complete</ac:task-status>\
            <ac:task-body>Check the journal</ac:task-body></ac:task></ac:task-list>
            <ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p>Left column text with \
            <ac:emoticon ac:name="tick" /> marks.</p></ac:layout-cell><ac:layout-cell>\
            <ac:image ac:alt="diagram"><ri:attachment ri:filename="arch.png" /></ac:image>\
            </ac:layout-cell></ac:layout-section></ac:layout>
            <ul><li>First item</li><li>Second item with <span style="color: rgb(255,0,0);">colour</span></li></ul>

            """
        }
        return output
    }

    /// Converts `storage` `iterations` times and returns the throughput in MB/s (10^6 bytes).
    public static func conversionThroughput(of storage: String, iterations: Int = 10) -> Double {
        let bytes = Array(storage.utf8)
        let clock = ContinuousClock()
        var sections = 0
        let elapsed = clock.measure {
            for _ in 0..<max(1, iterations) {
                sections &+= StorageFormat.convert(utf8: bytes).sections.count
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // `sections` keeps the work observable so the optimiser cannot drop it.
        return sections >= 0 ? Double(bytes.count * max(1, iterations)) / 1e6 / max(seconds, 1e-9) : 0
    }
}
