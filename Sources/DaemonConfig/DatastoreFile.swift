import Engine
import Foundation
import InputLimits

/// `datastores.d/NAME.conf`: one datastore declared as a file (the daemon reads these; the
/// engine only reconciles the configurations they give).
extension DatastoreConfiguration {
    /// Reads a `datastores.d/NAME.conf` file; the name is the file name without `.conf`.
    public static func load(path: String) throws(ConfigError) -> DatastoreConfiguration {
        let file = try ConfigFile.load(path: path)
        let base = (path as NSString).lastPathComponent
        let name = base.hasSuffix(".conf") ? String(base.dropLast(5)) : base
        var reader = file.reader()
        guard let url = reader.string("url") else {
            throw ConfigError(path: path, line: nil, message: "`url` is required (the Confluence space URL)")
        }
        var configuration = DatastoreConfiguration(name: name, url: url, origin: path)
        if let auth = reader.string("auth") {
            guard let kind = AuthenticationKind(rawValue: auth) else {
                throw reader.error("auth", "expected api_token, pat or anonymous, found “\(ConfigFile.shorten(auth))”")
            }
            configuration.auth = kind
        }
        configuration.email = reader.string("email")
        let tokenFile = reader.string("token_file")
        let credential = reader.string("token_credential")
        if reader.string("token") != nil {
            throw reader.error("token", "tokens are not written into datastore files; use token_file or token_credential")
        }
        switch (tokenFile, credential) {
        case (let path?, nil): configuration.tokenSource = .file(path: path)
        case (nil, let name?): configuration.tokenSource = .credential(name: name)
        case (nil, nil): configuration.tokenSource = .none
        case (.some, .some): throw reader.error("token_credential", "set either token_file or token_credential, not both")
        }
        configuration.spaces = reader.list("spaces") ?? []
        configuration.rootPageIds = reader.list("root_pages") ?? []
        configuration.includeTitles = reader.list("include_titles") ?? []
        configuration.excludeTitles = reader.list("exclude_titles") ?? []
        configuration.excludeLabels = reader.list("exclude_labels") ?? []
        configuration.includeArchived = try reader.bool("include_archived") ?? false
        configuration.resyncIntervalSeconds = try reader.duration("resync_interval", range: Limits.resyncIntervalSeconds.bounds)
            ?? DatastoreConfiguration.defaultResyncInterval
        configuration.rateLimit = try reader.double("rate_limit", range: Limits.rateLimit.bounds)
        configuration.content = try content(from: &reader)
        try reader.rejectUnknownKeys()
        do {
            try configuration.validate()
        } catch {
            throw ConfigError(path: path, line: file.entries.first { $0.key == error.field }?.line, message: error.description)
        }
        return configuration
    }

    /// `attachments`, `max_attachment_bytes`, `max_attachment_chars`, `blog_posts`, `comments`,
    /// `embeddings`: every one optional, with the defaults of ``ContentSelection``.
    private static func content(from reader: inout ConfigFile.Reader) throws(ConfigError) -> ContentSelection {
        var content = ContentSelection()
        if let names = reader.list("attachments") {
            do {
                content.attachmentFormats = try ContentSelection.attachmentFormats(parsing: names)
            } catch {
                throw reader.error("attachments", error.message)
            }
        }
        content.maxAttachmentBytes = try reader.int("max_attachment_bytes", range: Limits.attachmentBytes.bounds)
            ?? content.maxAttachmentBytes
        content.maxAttachmentCharacters = try reader.int("max_attachment_chars", range: Limits.attachmentCharacters.bounds)
            ?? content.maxAttachmentCharacters
        content.blogPosts = try reader.bool("blog_posts") ?? content.blogPosts
        if let comments = reader.string("comments") {
            guard let scope = CommentScope(rawValue: comments) else {
                throw reader.error("comments", "expected none, footer or all, found “\(ConfigFile.shorten(comments))”")
            }
            content.comments = scope
        }
        content.embeddings = try reader.bool("embeddings") ?? content.embeddings
        return content
    }
}
