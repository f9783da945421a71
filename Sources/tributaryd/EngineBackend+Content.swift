import Control
import Engine

/// Content options (attachments, blog posts, comments, embeddings) between the wire's
/// ``ContentOptions`` and the engine's ``ContentSelection``: nil fields keep what is there.
extension ContentSelection {
    /// This selection with the options given applied.
    func applying(_ options: ContentOptions) throws(ConfigurationProblem) -> ContentSelection {
        var selection = self
        if let names = options.attachments {
            selection.attachmentFormats = try ContentSelection.attachmentFormats(parsing: names)
        }
        if let bytes = options.maxAttachmentBytes { selection.maxAttachmentBytes = bytes }
        if let characters = options.maxAttachmentChars { selection.maxAttachmentCharacters = characters }
        if let blogPosts = options.blogPosts { selection.blogPosts = blogPosts }
        if let comments = options.comments {
            guard let scope = CommentScope(rawValue: comments) else {
                throw ConfigurationProblem(field: "comments", message: "must be none, footer or all")
            }
            selection.comments = scope
        }
        if let embeddings = options.embeddings { selection.embeddings = embeddings }
        return selection
    }

    /// ``applying(_:)`` for the control socket: a problem is the caller's invalid parameter.
    func applyingFromCaller(_ options: ContentOptions) throws(ControlError) -> ContentSelection {
        do {
            return try applying(options)
        } catch {
            throw .invalidParameter(parameter: error.field, message: error.message)
        }
    }

    /// Every field spelled out, as `get` and `list` show it.
    var options: ContentOptions {
        ContentOptions(
            attachments: attachmentNames, maxAttachmentBytes: maxAttachmentBytes, maxAttachmentChars: maxAttachmentCharacters,
            blogPosts: blogPosts, comments: comments.rawValue, embeddings: embeddings)
    }
}
