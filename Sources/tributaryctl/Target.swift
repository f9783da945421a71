/// Where `search` and `ask` look and what they look for. The first word names the datastore,
/// unless `--datastore` or `--all` say where (then every word is the text). Words are taken as
/// typed, those starting with `-` too (commands take them with `.allUnrecognized`); the first
/// `--` only ends the options.
struct Target {
    var names: [String]
    var words: [String]

    init(words: [String], datastores: [String], all: Bool) {
        var words = words
        if let end = words.firstIndex(of: "--") { words.remove(at: end) }
        if all || !datastores.isEmpty {
            names = datastores
            self.words = words
        } else {
            names = Array(words.prefix(1))
            self.words = Array(words.dropFirst())
        }
    }

    var text: String { words.joined(separator: " ") }
}
