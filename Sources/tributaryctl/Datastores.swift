import ArgumentParser
import Control
import Foundation
import InputLimits

/// Where the token comes from: a file, standard input, or a no-echo prompt; never an argument.
struct TokenOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "Read the API token (or PAT) from this file, or from standard input with '-'. Without it, "
            + "tributaryctl asks for it without echo when standard input is a terminal.",
        valueName: "file"))
    var tokenFile: String?

    /// The token, trimmed; nil when none was asked for and `required` is false.
    func read(required: Bool, datastore: String) throws(CtlFailure) -> String? {
        let text: String
        switch tokenFile {
        case "-"?:
            text = String(decoding: try TokenInput.read(FileHandle.standardInput, from: "standard input", drain: true), as: UTF8.self)
        case let path?:
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CtlFailure("cannot read the token file \(path)", status: .usage)
            }
            defer { try? handle.close() }
            text = String(decoding: try TokenInput.read(handle, from: path), as: UTF8.self)
        case nil:
            guard required else { return nil }
            guard Terminal.stdinIsTerminal else {
                throw CtlFailure("no token: pass --token-file FILE, or --token-file - to read it from standard input", status: .usage)
            }
            text = Terminal.readSecret(prompt: "API token for \(datastore): ") ?? ""
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CtlFailure("the token is empty", status: .usage) }
        try TokenInput.checkSize(token)
        return token
    }
}

/// Scope and schedule settings shared by `create` and `update`.
struct ScopeOptions: ParsableArguments {
    @Option(name: .customLong("space"), help: ArgumentHelp(
        "A space key to index (repeatable; default: the space in --url; '*' alone: every space, as --all-spaces).",
        valueName: "key"))
    var spaces: [String] = []

    @Flag(name: .customLong("all-spaces"), help: ArgumentHelp(
        "Index every space the account can see (global and personal; archived ones with archived pages), "
            + "re-listed at every sync: new spaces are added, removed or hidden ones dropped."))
    var allSpaces = false

    @Option(name: .customLong("root-page"), help: ArgumentHelp("Index only this page and its descendants (repeatable).", valueName: "id"))
    var rootPages: [String] = []

    @Option(name: .customLong("include-title"), help: ArgumentHelp("Only pages whose title matches this glob (repeatable).", valueName: "glob"))
    var includeTitles: [String] = []

    @Option(name: .customLong("exclude-title"), help: ArgumentHelp("Skip pages whose title matches this glob (repeatable).", valueName: "glob"))
    var excludeTitles: [String] = []

    @Option(name: .customLong("exclude-label"), help: ArgumentHelp("Skip pages carrying this label (repeatable).", valueName: "label"))
    var excludeLabels: [String] = []

    @Option(name: .customLong("resync-interval"), help: ArgumentHelp("Seconds between sync cycles, \(Limits.resyncIntervalSeconds.limits).", valueName: "seconds"))
    var resyncInterval: Int?

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per second to this Confluence site, \(Limits.rateLimit.limits).", valueName: "req-per-s"))
    var rateLimit: Double?

    /// The `spaces` setting these options ask for: `["*"]` for --all-spaces, else the keys.
    var spaceScope: [String] { allSpaces ? [allSpacesKey] : spaces }

    func validate() throws {
        try CtlRanges.check(resyncInterval, Limits.resyncIntervalSeconds, option: "--resync-interval")
        try CtlRanges.check(rateLimit, Limits.rateLimit, option: "--rate-limit")
        if allSpaces && !spaces.isEmpty {
            throw ValidationError("--all-spaces already covers every space: drop --space, or list the spaces without --all-spaces")
        }
    }
}

/// Attachments, blog posts, comments and embeddings, shared by `create` and `update`.
struct ContentFlags: ParsableArguments {
    @Option(name: .customLong("attachments"), help: ArgumentHelp(
        "Attachment types to index, comma-separated (pdf, docx, pptx, xlsx, odt, ods, odp, txt, md, csv, json, xml, html), or none; default: all.",
        valueName: "types"))
    var attachments: String?

    @Option(name: .customLong("max-attachment-bytes"), help: ArgumentHelp(
        "Largest attachment downloaded, \(Limits.attachmentBytes.limits) (default 25 MiB).", valueName: "bytes"))
    var maxAttachmentBytes: Int?

    @Option(name: .customLong("max-attachment-chars"), help: ArgumentHelp(
        "Most characters of text kept from one attachment, \(Limits.attachmentCharacters.limits) (default 500000).",
        valueName: "count"))
    var maxAttachmentChars: Int?

    @Option(name: .customLong("blog-posts"), help: ArgumentHelp("Index the spaces' blog posts (true or false; default true).", valueName: "bool"))
    var blogPosts: Bool?

    @Option(name: .customLong("comments"), help: ArgumentHelp(
        "Comments joined to their page's text: none (default), footer, or all (footer and inline).", valueName: "which"))
    var comments: CommentChoice?

    @Option(name: .customLong("embeddings"), help: ArgumentHelp(
        "Embed chunks for hybrid search when the daemon has an embedding endpoint (true or false; default true).",
        valueName: "bool"))
    var embeddings: Bool?

    enum CommentChoice: String, ExpressibleByArgument, CaseIterable {
        case none, footer, all
    }

    /// The attachment types as a list (`none` stays a one-element list).
    var attachmentList: [String]? {
        attachments.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// What these flags ask for; nil fields: not given.
    var options: ContentOptions {
        ContentOptions(
            attachments: attachmentList, maxAttachmentBytes: maxAttachmentBytes, maxAttachmentChars: maxAttachmentChars,
            blogPosts: blogPosts, comments: comments?.rawValue, embeddings: embeddings)
    }

    func validate() throws {
        try CtlRanges.check(maxAttachmentBytes, Limits.attachmentBytes, option: "--max-attachment-bytes")
        try CtlRanges.check(maxAttachmentChars, Limits.attachmentCharacters, option: "--max-attachment-chars")
        if let list = attachmentList {
            if list.isEmpty { throw ValidationError("--attachments needs types (pdf, docx, …) or none") }
            if list.count > 1, list.contains(where: { $0.lowercased() == "none" }) {
                throw ValidationError("--attachments none stands alone")
            }
        }
    }
}

/// The `spaces` value meaning every visible space (as in `spaces = *` in datastores.d).
let allSpacesKey = "*"

enum AuthKind: String, ExpressibleByArgument, CaseIterable {
    case apiToken = "api_token"
    case pat
}

struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a datastore and start its first sync.",
        discussion: """
        Example: tributaryctl create handbook --url https://example.atlassian.net/wiki/spaces/HB \
        --email me@example.com --token-file ~/.config/tributary/token
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Option(help: ArgumentHelp("A Confluence space URL, or the site URL with --space or --all-spaces.", valueName: "space-url"))
    var url: String
    @Option(help: "The account's email (Confluence Cloud API tokens).") var email: String?
    @Option(help: "api_token (Cloud: email + API token) or pat (Data Center personal access token).")
    var auth: AuthKind = .apiToken
    @OptionGroup var token: TokenOptions
    @OptionGroup var scope: ScopeOptions
    @Flag(name: .customLong("include-archived"), help: "Index archived pages too.") var includeArchived = false
    @OptionGroup var content: ContentFlags
    @Flag(help: "Print the new status as JSON.") var json = false

    func validate() throws {
        try CtlRanges.checkURL(url, option: "--url")
        if auth == .apiToken && email == nil {
            throw ValidationError("--email is required with --auth api_token (use --auth pat for Data Center tokens)")
        }
    }

    func run() async throws {
        let secret = try token.read(required: true, datastore: name)
        let spec = DatastoreSpec(
            name: name, url: url, auth: auth.rawValue, email: email, token: secret, spaces: scope.spaceScope,
            rootPageIds: scope.rootPages, includeTitles: scope.includeTitles, excludeTitles: scope.excludeTitles,
            excludeLabels: scope.excludeLabels, includeArchived: includeArchived,
            resyncIntervalSeconds: scope.resyncInterval, rateLimit: scope.rateLimit, origin: "socket",
            content: content.options)
        let status = try await withClient(connection) { client throws(ControlClientError) in try await client.create(spec) }
        try printStatusChange(status, verb: "created", json: json)
    }
}

struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change a datastore's settings or token.",
        discussion: "Only the settings given change. Example: tributaryctl update handbook --token-file new-token.txt")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Option(help: ArgumentHelp("A new space or site URL.", valueName: "space-url")) var url: String?
    @Option(help: "A new account email.") var email: String?
    @Option(help: "api_token or pat.") var auth: AuthKind?
    @OptionGroup var token: TokenOptions
    @OptionGroup var scope: ScopeOptions
    @Option(name: .customLong("include-archived"), help: ArgumentHelp("Index archived pages (true or false).", valueName: "bool"))
    var includeArchived: Bool?
    @OptionGroup var content: ContentFlags
    @Option(name: .customLong("clear"), help: ArgumentHelp(
        "Empty a list setting (repeatable); clearing spaces goes back to the space in the URL.",
        valueName: "setting"))
    var clear: [ClearableSetting] = []
    @Flag(help: "Print the new status as JSON.") var json = false

    /// The list settings `--clear` can empty (repeating options can only add values).
    enum ClearableSetting: String, CaseIterable, ExpressibleByArgument {
        case spaces, rootPages = "root-pages", includeTitles = "include-titles"
        case excludeTitles = "exclude-titles", excludeLabels = "exclude-labels"
    }

    func validate() throws {
        if let url { try CtlRanges.checkURL(url, option: "--url") }
        let given: [(ClearableSetting, Bool)] = [
            (.spaces, !scope.spaceScope.isEmpty), (.rootPages, !scope.rootPages.isEmpty),
            (.includeTitles, !scope.includeTitles.isEmpty), (.excludeTitles, !scope.excludeTitles.isEmpty),
            (.excludeLabels, !scope.excludeLabels.isEmpty),
        ]
        for (setting, isSet) in given where isSet && clear.contains(setting) {
            throw ValidationError("--clear \(setting.rawValue) and a new value for it cannot go together: give only the new values")
        }
    }

    func run() async throws {
        var changes = DatastoreChanges()
        for setting in clear {
            switch setting {
            case .spaces: changes.spaces = []
            case .rootPages: changes.rootPageIds = []
            case .includeTitles: changes.includeTitles = []
            case .excludeTitles: changes.excludeTitles = []
            case .excludeLabels: changes.excludeLabels = []
            }
        }
        changes.url = url
        changes.email = email
        changes.auth = auth?.rawValue
        changes.token = try token.read(required: false, datastore: name)
        if !scope.spaceScope.isEmpty { changes.spaces = scope.spaceScope }
        if !scope.rootPages.isEmpty { changes.rootPageIds = scope.rootPages }
        if !scope.includeTitles.isEmpty { changes.includeTitles = scope.includeTitles }
        if !scope.excludeTitles.isEmpty { changes.excludeTitles = scope.excludeTitles }
        if !scope.excludeLabels.isEmpty { changes.excludeLabels = scope.excludeLabels }
        changes.includeArchived = includeArchived
        changes.resyncIntervalSeconds = scope.resyncInterval
        changes.rateLimit = scope.rateLimit
        let options = content.options
        changes.attachments = options.attachments
        changes.maxAttachmentBytes = options.maxAttachmentBytes
        changes.maxAttachmentChars = options.maxAttachmentChars
        changes.blogPosts = options.blogPosts
        changes.comments = options.comments
        changes.embeddings = options.embeddings
        if changes == DatastoreChanges() { throw ValidationError("nothing to change: give at least one setting") }
        let name = name
        let status = try await withClient(connection) { client throws(ControlClientError) in
            try await client.update(name: name, changes: changes)
        }
        try printStatusChange(status, verb: "updated", json: json)
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the datastores and their states.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print {\"datastores\": [status, …]} as JSON.") var json = false

    func run() async throws {
        let datastores = try await withClient(connection) { client throws(ControlClientError) in try await client.list() }
        if json {
            let nulls = JSONOutput.statusNulls.map { "datastores[]." + $0 }
            Terminal.write(try JSONOutput.render(["datastores": datastores], nullMembers: nulls))
            return
        }
        guard !datastores.isEmpty else {
            Terminal.write("No datastores. Create one with: tributaryctl create NAME --url SPACE_URL --email EMAIL --token-file FILE\n")
            return
        }
        var table = Table("NAME", "STATE", "INDEXED", "SKIPPED", "FAILED", "PROGRESS", "URL")
        for status in datastores {
            let progress = status.progress.map { "\($0.done)/\($0.total)" } ?? "-"
            let state = StateMark.of(status) + (status.waiting.map { " (\(WaitText.short($0)))" } ?? "")
            table.add(
                status.name, state, "\(status.pages.indexed)/\(status.pages.discovered)",
                "\(status.pages.skipped)", "\(status.pages.failed)", progress, status.url)
        }
        Terminal.write(table.rendered)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one datastore's state, page counts and settings.",
        discussion: """
        With --json: {"name", "state", "reason", "message", "since", "url", "pages": {"discovered", \
        "indexed", "skipped", "failed", "pending"}, "progress", "searchable", …, "waiting", "config": {…}}. \
        The token is never shown.
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Flag(help: "Print the status as JSON.") var json = false

    func run() async throws {
        let name = name
        let details = try await withClient(connection) { client throws(ControlClientError) in try await client.get(name: name) }
        if json {
            struct Output: Encodable {
                let status: DatastoreStatus
                let config: DatastoreSpec
                func encode(to encoder: any Encoder) throws {
                    try status.encode(to: encoder)
                    var container = encoder.container(keyedBy: Key.self)
                    try container.encode(config, forKey: Key(stringValue: "config"))
                }
                struct Key: CodingKey {
                    var stringValue: String
                    var intValue: Int? { nil }
                    init(stringValue: String) { self.stringValue = stringValue }
                    init?(intValue: Int) { nil }
                }
            }
            Terminal.write(try JSONOutput.render(Output(status: details.status, config: details.config), nullMembers: JSONOutput.statusNulls))
            return
        }
        Terminal.write(StatusText.render(details.status, config: details.config))
    }
}

/// The human form of one status.
enum StatusText {
    static func render(_ status: DatastoreStatus, config: DatastoreSpec?) -> String {
        var lines: [(String, String)] = [
            ("state", StateMark.of(status) + "  since \(status.since)"),
            ("url", status.url),
            ("pages", Format.pages(status.pages)),
        ]
        if let message = status.message { lines.append(("message", message)) }
        if let waiting = status.waiting { lines.append(("waiting", WaitText.full(waiting))) }
        if let progress = status.progress { lines.append(("progress", Format.progress(progress))) }
        if !status.skippedByReason.isEmpty { lines.append(("skipped", Format.counts(status.skippedByReason))) }
        if let attachments = status.attachments {
            var text = "\(attachments.indexed) indexed, \(attachments.skipped) skipped, \(attachments.failed) failed"
            if !attachments.skippedByReason.isEmpty { text += " (skipped: \(Format.counts(attachments.skippedByReason)))" }
            // Mid-cycle: how many of those this cycle has still to look at.
            if attachments.pending > 0 { text += "; \(attachments.pending) still to reconcile this cycle" }
            lines.append(("attachments", text))
        }
        lines.append(("searchable", status.searchable ? "yes" : "not yet"))
        if let embeddings = status.embeddings {
            var text = "\(embeddings.embedded) chunks embedded, \(embeddings.pending) pending (\(embeddings.model)"
                + (embeddings.dimensions.map { ", \($0) dimensions" } ?? "") + ")"
            if let reason = embeddings.reason { text += "; waiting: \(reason)" }
            lines.append(("embeddings", text))
        }
        if status.partiallySynced { lines.append(("partial", "\(status.pages.failed) page\(status.pages.failed == 1 ? "" : "s") failed; retried next cycle")) }
        if let last = status.lastSyncCompleted { lines.append(("last sync", last)) }
        if let next = status.nextSync { lines.append(("next sync", next)) }
        if let estimate = status.estimatedMillicredits { lines.append(("estimate", "\(Format.credits(estimate)) credits for pending work")) }
        if !status.unrenderedMacros.isEmpty { lines.append(("unrendered", Format.counts(status.unrenderedMacros))) }
        if let config {
            var auth = config.auth + (config.email.map { " as \($0)" } ?? "")
            auth += config.hasToken == true ? ", token stored" : ", no token stored"
            lines.append(("auth", auth))
            if config.spaces == [allSpacesKey] {
                lines.append(("spaces", "all spaces (every space the account can see, re-listed each sync)"))
            } else if !config.spaces.isEmpty {
                lines.append(("spaces", config.spaces.joined(separator: ", ")))
            }
            if !config.rootPageIds.isEmpty { lines.append(("root pages", config.rootPageIds.joined(separator: ", "))) }
            if let origin = config.origin ?? status.origin { lines.append(("defined in", origin)) }
        }
        let width = lines.map(\.0.count).max() ?? 0
        return "\(status.name)\n" + lines.map { label, value in
            "  " + label + ":" + String(repeating: " ", count: width - label.count + 1) + value
        }.joined(separator: "\n") + "\n"
    }
}

/// Prints the outcome of a mutation.
func printStatusChange(_ status: DatastoreStatus, verb: String, json: Bool) throws {
    if json {
        Terminal.write(try JSONOutput.render(status, nullMembers: JSONOutput.statusNulls))
    } else {
        Terminal.write("\(status.name) \(verb): \(StateMark.of(status))\n")
    }
}

/// The socket, one datastore's name and `--json`: what `resync`, `pause` and `resume` take.
struct DatastoreTarget: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Flag(help: "Print the new status as JSON.") var json = false
}

/// `resync`, `pause` and `resume` differ only in the call.
protocol SimpleMutation: AsyncParsableCommand {
    var target: DatastoreTarget { get }
    static var verb: String { get }
    static func perform(_ client: ControlClient, _ name: String) async throws(ControlClientError) -> DatastoreStatus
}

extension SimpleMutation {
    func run() async throws {
        let name = target.name
        let status = try await withClient(target.connection) { client throws(ControlClientError) in try await Self.perform(client, name) }
        try printStatusChange(status, verb: Self.verb, json: target.json)
    }
}

struct Resync: SimpleMutation {
    static let configuration = CommandConfiguration(abstract: "Start a sync cycle now (the index stays searchable).")
    static let verb = "resyncing"
    @OptionGroup var target: DatastoreTarget
    static func perform(_ client: ControlClient, _ name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await client.resync(name: name)
    }
}

struct Pause: SimpleMutation {
    static let configuration = CommandConfiguration(abstract: "Stop syncing a datastore until resume; search keeps working.")
    static let verb = "paused"
    @OptionGroup var target: DatastoreTarget
    static func perform(_ client: ControlClient, _ name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await client.pause(name: name)
    }
}

struct Resume: SimpleMutation {
    static let configuration = CommandConfiguration(abstract: "Resume a paused datastore, or retry a failed one.")
    static let verb = "resumed"
    @OptionGroup var target: DatastoreTarget
    static func perform(_ client: ControlClient, _ name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await client.resume(name: name)
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a datastore, its index and its stored token.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Flag(help: "Print {\"deleted\": NAME} as JSON.") var json = false

    func run() async throws {
        let name = name
        try await withClient(connection) { client throws(ControlClientError) in try await client.delete(name: name) }
        Terminal.write(json ? try JSONOutput.render(["deleted": name]) : "\(name) deleted\n")
    }
}
