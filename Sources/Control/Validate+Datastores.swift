import InputLimits

/// Checks of a datastore's settings as they arrive over the socket (issue #13): numbers in
/// their documented ranges, no secret in the URL, no file for the daemon to read.
extension Validate {
    /// Where a secret belongs instead of the URL, for messages.
    static let tokenHint = "the token parameter (tributaryctl --token-file reads the file as you)"

    static func datastore(_ config: Wire.Config, parameter: String) throws(ControlError) {
        try settings(url: config.url, token: config.token, tokenFile: config.tokenFile,
                     interval: config.resyncIntervalSeconds, rate: config.rateLimit, parameter: parameter)
        try content(config.spec.content, parameter: parameter)
    }

    static func changes(_ changes: DatastoreChanges) throws(ControlError) {
        try settings(url: changes.url, token: changes.token, tokenFile: changes.tokenFile,
                     interval: changes.resyncIntervalSeconds, rate: changes.rateLimit, parameter: "changes")
        try content(changes.content, parameter: "changes")
    }

    /// The numbers and the comment scope of content options (attachment type names are checked
    /// by the engine's configuration, which owns the list of formats).
    private static func content(_ options: ContentOptions, parameter: String) throws(ControlError) {
        if let bytes = options.maxAttachmentBytes, !Limits.attachmentBytes.contains(bytes) {
            throw .invalidParameter(parameter: parameter + ".maxAttachmentBytes", message: "must be \(Limits.attachmentBytes.limits)")
        }
        if let characters = options.maxAttachmentChars, !Limits.attachmentCharacters.contains(characters) {
            throw .invalidParameter(parameter: parameter + ".maxAttachmentChars", message: "must be \(Limits.attachmentCharacters.limits)")
        }
        if let comments = options.comments, !["none", "footer", "all"].contains(comments) {
            throw .invalidParameter(parameter: parameter + ".comments", message: "must be none, footer or all")
        }
    }

    private static func settings(
        url: String?, token: String?, tokenFile: String?, interval: Int?, rate: Double?, parameter: String
    ) throws(ControlError) {
        // The daemon would read the path with its own rights: only root-written datastores.d may name one.
        if tokenFile != nil {
            throw .invalidParameter(
                parameter: parameter + ".tokenFile",
                message: "the daemon reads no file for a caller: send the token itself (tributaryctl --token-file reads the file as you); token_file is for datastores.d")
        }
        if let url, let problem = URLInput.problem(url, tokenHint: tokenHint) {
            throw .invalidParameter(parameter: parameter + ".url", message: problem)
        }
        if let token, !Limits.tokenBytes.contains(token.utf8.count) {
            throw .invalidParameter(parameter: parameter + ".token", message: "must be \(Limits.tokenBytes.limits) long")
        }
        if let interval, !Limits.resyncIntervalSeconds.contains(interval) {
            throw .invalidParameter(parameter: parameter + ".resyncIntervalSeconds", message: "must be \(Limits.resyncIntervalSeconds.limits)")
        }
        if let rate, !Limits.rateLimit.contains(rate) {
            throw .invalidParameter(parameter: parameter + ".rateLimit", message: "must be \(Limits.rateLimit.limits)")
        }
    }
}
