import Foundation
import Testing
@testable import DaemonConfig
@testable import Engine
import Extraction

@Suite("Configuration files")
struct ConfigurationTests {
    func write(_ text: String, name: String = "eng.conf") throws -> String {
        let directory = NSTemporaryDirectory() + "tributary-conf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("A datastore file is read with every setting")
    func datastoreFile() throws {
        let path = try write("""
            # Engineering space
            url = https://example.atlassian.net/wiki/spaces/ENG   # the space
            auth = api_token
            email = bot@example.com
            token_file = /etc/tributary/tokens/eng
            spaces = ENG, OPS
            root_pages = 123, 456
            include_titles = Runbook*, *Guide
            exclude_titles = Draft*
            exclude_labels = template, obsolete
            include_archived = yes
            resync_interval = 2h
            rate_limit = 2.5
            """)
        let configuration = try DatastoreConfiguration.load(path: path)
        #expect(configuration.name == "eng")
        #expect(configuration.url == "https://example.atlassian.net/wiki/spaces/ENG")
        #expect(configuration.tokenSource == .file(path: "/etc/tributary/tokens/eng"))
        #expect(configuration.spaces == ["ENG", "OPS"])
        #expect(configuration.rootPageIds == ["123", "456"])
        #expect(configuration.includeTitles == ["Runbook*", "*Guide"])
        #expect(configuration.excludeLabels == ["template", "obsolete"])
        #expect(configuration.includeArchived)
        #expect(configuration.resyncIntervalSeconds == 7_200)
        #expect(configuration.rateLimit == 2.5)
    }

    @Test("Content settings: attachments, their limits, blog posts, comments and embeddings; defaults when absent")
    func contentSettings() throws {
        let base = "url = https://example.atlassian.net/wiki/spaces/ENG\nemail = a@b\ntoken_file = /t\n"
        let defaults = try DatastoreConfiguration.load(path: try write(base)).content
        #expect(defaults == ContentSelection())
        #expect(defaults.attachmentFormats.count == 13 && defaults.blogPosts && defaults.comments == .none && defaults.embeddings)
        let set = try DatastoreConfiguration.load(path: try write(base + """
            attachments = PDF, docx, md
            max_attachment_bytes = 1048576
            max_attachment_chars = 20000
            blog_posts = false
            comments = footer
            embeddings = no
            """)).content
        #expect(set.attachmentFormats == [.pdf, .docx, .markdown])
        #expect(set.maxAttachmentBytes == 1_048_576 && set.maxAttachmentCharacters == 20_000)
        #expect(!set.blogPosts && set.comments == .footer && !set.embeddings)
        #expect(try DatastoreConfiguration.load(path: try write(base + "attachments = none\n")).content.attachmentFormats.isEmpty)
        for (line, fragment) in [("attachments = pdf, exe", "“exe” is not an attachment type"), ("comments = some", "none, footer or all")] {
            let path = try write(base + line + "\n")
            do throws(ConfigError) {
                _ = try DatastoreConfiguration.load(path: path)
                Issue.record("accepted \(line)")
            } catch {
                #expect(error.line == 4 && error.message.contains(fragment), "\(error)")
            }
        }
    }

    @Test("A configuration stored before content settings existed decodes with their defaults")
    func storedBeforeContent() throws {
        var configuration = DatastoreConfiguration(name: "eng", url: "https://example.atlassian.net/wiki/spaces/ENG", email: "a@b")
        configuration.content.comments = .all
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as? [String: Any])
        #expect(object["content"] != nil)
        object["content"] = nil
        let old = try JSONDecoder().decode(DatastoreConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.content == ContentSelection())
        #expect(old.name == "eng" && old.email == "a@b")
        let roundTrip = try JSONDecoder().decode(DatastoreConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(roundTrip == configuration)
    }

    @Test("Broken files name the path and the line", arguments: [
        ("url = https://x.atlassian.net/wiki/spaces/A\nemail = a@b\ntoken_file = /t\nthis line is wrong\n", 4, "expected `key = value`"),
        ("url = https://x.atlassian.net/wiki/spaces/A\nemail = a@b\ntoken_file = /t\nresync_interval = soon\n", 4, "duration"),
        ("url = https://x.atlassian.net/wiki/spaces/A\nemail = a@b\ntoken_file = /t\ncolour = blue\n", 4, "unknown setting"),
        ("url = https://x.atlassian.net/wiki/spaces/A\nemail = a@b\ntoken = abc\n", 3, "not written into datastore files"),
        ("url = ftp://x/wiki/spaces/A\nemail = a@b\ntoken_file = /t\n", 1, "url"),
        ("url = https://x.atlassian.net/wiki/spaces/A\ntoken_file = /t\n", nil, "email"),
        ("url = https://x.atlassian.net/wiki/spaces/A\nemail = a@b\ntoken_file = /t\nurl = https://y\n", 4, "already set on line 1"),
    ] as [(String, Int?, String)])
    func brokenFiles(text: String, line: Int?, fragment: String) throws {
        let path = try write(text)
        do {
            _ = try DatastoreConfiguration.load(path: path)
            Issue.record("accepted a broken file")
        } catch {
            #expect(error.path == path)
            #expect(error.line == line)
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix(path + (line.map { ":\($0):" } ?? ":")))
        }
    }

    @Test("spaces = * means every space; it stands alone, takes a site URL and refuses page trees")
    func allSpacesScope() throws {
        let path = try write("""
            url = https://example.atlassian.net/wiki
            email = bot@example.com
            token_file = /t
            spaces = *
            include_archived = yes
            """)
        let configuration = try DatastoreConfiguration.load(path: path)
        #expect(configuration.spaces == ["*"])
        #expect(configuration.includesAllSpaces)
        #expect(!DatastoreConfiguration(name: "a", url: "https://x.atlassian.net/wiki/spaces/A", spaces: ["ENG"]).includesAllSpaces)

        func problem(_ adjust: (inout DatastoreConfiguration) -> Void) -> ConfigurationProblem? {
            var configuration = DatastoreConfiguration(
                name: "all", url: "https://example.atlassian.net/wiki", email: "bot@example.com", spaces: ["*"])
            adjust(&configuration)
            do {
                try configuration.validate()
                return nil
            } catch {
                return error
            }
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0.url = "https://example.atlassian.net/wiki/spaces/ENG" } == nil)  // a space URL works too
        #expect(problem { $0.url = "https://confluence.example.com/confluence"; $0.auth = .personalAccessToken } == nil)
        #expect(problem { $0.spaces = ["ENG", "OPS"] } == nil)  // listed keys with a site URL
        #expect(problem { $0.spaces = ["*", "ENG"] }?.field == "spaces")
        #expect(problem { $0.spaces = ["ENG", "*"] }?.message.contains("stands alone") == true)
        #expect(problem { $0.rootPageIds = ["123"] }?.field == "root_pages")
        #expect(problem { $0.spaces = ["E*G"] }?.field == "spaces")
        let noSpace = problem { $0.spaces = [] }
        #expect(noSpace?.field == "url")
        #expect(noSpace?.message.contains("spaces = *") == true)
        #expect(problem { $0.url = "https://example.atlassian.net/wiki/x/AbCd" }?.field == "url")

        let broken = try write("url = https://example.atlassian.net/wiki\nemail = a@b\ntoken_file = /t\nspaces = *, ENG\n")
        do {
            _ = try DatastoreConfiguration.load(path: broken)
            Issue.record("accepted `*` with a key")
        } catch {
            #expect(error.line == 4)
            #expect(error.description.contains("spaces"))
        }
    }

    @Test("The daemon file sets credits and limits; datastores.d sits beside it")
    func daemonFile() throws {
        let path = try write("""
            socket = /tmp/x.sock
            max_concurrent_datastores = 2
            default_rate_limit = 5
            credits_per_1000_tokens = 0.5
            initial_credits = 100
            auto_top_off_amount = 50
            auto_top_off_threshold = 10
            log = stderr
            """, name: "tributaryd.conf")
        let configuration = try DaemonConfiguration.load(path: path)
        #expect(configuration.socketPath == "/tmp/x.sock")
        #expect(configuration.maxConcurrentDatastores == 2)
        #expect(configuration.millicreditsPerThousandTokens == 500)
        #expect(configuration.initialMillicredits == 100_000)
        #expect(configuration.autoTopOff == CreditPolicy.AutoTopOff(amount: 50_000, threshold: 10_000, monthlyCap: 500_000))
        #expect(configuration.datastoresDirectory == (path as NSString).deletingLastPathComponent + "/datastores.d")
    }

    @Test("Title globs match case-insensitively with * and ?")
    func globs() {
        #expect(TitleGlob("Runbook*").matches("runbook: database"))
        #expect(TitleGlob("*guide").matches("Style Guide"))
        #expect(TitleGlob("v?.0").matches("V2.0"))
        #expect(TitleGlob("a*b*c").matches("aXXbYYc"))
        #expect(TitleGlob("a*b*c").matches("aXXbYY") == false)
        #expect(TitleGlob(String(repeating: "*a", count: 30)).matches(String(repeating: "a", count: 29) + "b") == false)
    }
}
