/// The answer given without a model: the best passages, each cited, so a question still gets
/// the sources that answer it when no model is configured or the model failed.
public struct ExtractiveAnswer: Sendable {
    /// Passages quoted at most (the best first).
    public var maxPassages: Int
    /// Characters quoted from each passage at most.
    public var maxCharacters: Int

    public init(maxPassages: Int = 3, maxCharacters: Int = 700) {
        self.maxPassages = maxPassages
        self.maxCharacters = maxCharacters
    }

    /// The text and the passage numbers it cites (1-based, in the order of `passages`).
    public func compose(_ passages: [Passage]) -> (text: String, cited: [Int]) {
        guard !passages.isEmpty else {
            return ("Nothing in the index matches this question.", [])
        }
        let quoted = passages.prefix(maxPassages)
        var parts: [String] = []
        for (index, passage) in quoted.enumerated() {
            var text = passage.text.trimmingWhitespace()
            if text.count > maxCharacters {
                text = String(text.prefix(maxCharacters)).trimmingWhitespace() + "…"
            }
            parts.append("**\(passage.location)** [\(index + 1)]\n\(text)")
        }
        return (parts.joined(separator: "\n\n"), Array(1...quoted.count))
    }
}
