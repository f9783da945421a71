/// Builds the chat messages that ask a model to answer from numbered passages only, citing
/// them as `[n]`.
public struct PromptBuilder: Sendable {
    /// Characters of one passage's text sent at most (the rest is cut with an ellipsis).
    public var maxPassageCharacters: Int

    public init(maxPassageCharacters: Int = 4_000) {
        self.maxPassageCharacters = maxPassageCharacters
    }

    public static let instructions = """
        You answer questions about a team's Confluence using only the numbered passages you are \
        given. Cite the passage each statement comes from with its number in square brackets, \
        like [1] or [2][3]. Use only the numbers of the passages given. If the passages do not \
        contain the answer, say so plainly instead of guessing. Do not invent facts, numbers or \
        sources. Answer in the language of the question, concisely, in Markdown.
        """

    /// The system and user messages for `question` over `passages` (numbered from 1).
    public func messages(question: String, passages: [Passage]) -> [ChatMessage] {
        [ChatMessage(role: "system", content: Self.instructions),
         ChatMessage(role: "user", content: userMessage(question: question, passages: passages))]
    }

    /// `Passages:` then `[n] title › headings (url)` and the text of each, then the question.
    public func userMessage(question: String, passages: [Passage]) -> String {
        var text = "Passages:\n"
        for (index, passage) in passages.enumerated() {
            text += "\n[\(index + 1)] \(passage.location) (\(passage.url))\n"
            text += clipped(passage.text) + "\n"
        }
        text += "\nQuestion: \(question)"
        return text
    }

    private func clipped(_ text: String) -> String {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.count > maxPassageCharacters else { return trimmed }
        return String(trimmed.prefix(maxPassageCharacters)) + "…"
    }

    /// A rough token count for text a model has not measured: about four characters a token.
    public static func estimateTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// The estimate for a whole prompt (with a few tokens per message of framing).
    public static func estimateTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + estimateTokens($1.content) + 4 }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
