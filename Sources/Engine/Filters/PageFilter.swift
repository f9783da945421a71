/// Decides from a page's title, labels and place in the tree whether a datastore wants it.
struct PageFilter: Sendable {
    let includeTitles: [TitleGlob]
    let excludeTitles: [TitleGlob]
    let excludedLabels: Set<String>

    init(_ configuration: DatastoreConfiguration) {
        includeTitles = configuration.includeTitles.map(TitleGlob.init)
        excludeTitles = configuration.excludeTitles.map(TitleGlob.init)
        excludedLabels = Set(configuration.excludeLabels.map { $0.lowercased() })
    }

    /// The skip reason for a page, or nil when it is wanted. `labels` are the excluded labels
    /// the page carries (found by a label query, since listings do not carry labels).
    func skipReason(title: String, excludedLabelsOnPage: [String]) -> String? {
        if let label = excludedLabelsOnPage.sorted().first {
            return "excluded_by_label:" + label
        }
        if let glob = excludeTitles.first(where: { $0.matches(title) }) {
            return "excluded_by_title:" + glob.pattern
        }
        if !includeTitles.isEmpty, !includeTitles.contains(where: { $0.matches(title) }) {
            return "not_included_by_title"
        }
        return nil
    }
}

/// A case-insensitive shell-style glob over a title: `*` any run, `?` one character.
struct TitleGlob: Sendable {
    let pattern: String
    private let characters: [Character]

    init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern.lowercased())
    }

    func matches(_ title: String) -> Bool {
        let text = Array(title.lowercased())
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var textIndex = 0, patternIndex = 0
        var starIndex = -1, matchIndex = 0
        while textIndex < text.count {
            if patternIndex < characters.count, characters[patternIndex] == "?" || characters[patternIndex] == text[textIndex] {
                textIndex += 1
                patternIndex += 1
            } else if patternIndex < characters.count, characters[patternIndex] == "*" {
                starIndex = patternIndex
                matchIndex = textIndex
                patternIndex += 1
            } else if starIndex >= 0 {
                patternIndex = starIndex + 1
                matchIndex += 1
                textIndex = matchIndex
            } else {
                return false
            }
        }
        while patternIndex < characters.count, characters[patternIndex] == "*" { patternIndex += 1 }
        return patternIndex == characters.count
    }
}
