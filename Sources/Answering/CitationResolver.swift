/// Checks the `[n]` citations of a model's answer against the passages actually sent.
///
/// Recognised forms: `[1]`, `[1, 3]` (any commas and spaces) and runs such as `[1][3]`. A number
/// that names no passage sent is removed from its brackets; brackets left empty are removed
/// with the space before them. Brackets holding anything else (`[x]`, `[1](link)`, `[1-2]`)
/// are left alone: they are not citations.
public struct CitationResolver: Sendable {
    /// What the answer keeps: its cleaned text and the passage numbers it cites, ascending.
    public struct Resolution: Sendable, Equatable {
        public var text: String
        public var cited: [Int]
        /// Numbers the model used that name no passage (removed from `text`).
        public var dropped: [Int]
    }

    public let passageCount: Int

    public init(passageCount: Int) {
        self.passageCount = passageCount
    }

    public func resolve(_ answer: String) -> Resolution {
        let characters = Array(answer)
        var output = ""
        var cited = Set<Int>()
        var dropped: [Int] = []
        var index = 0
        while index < characters.count {
            if characters[index] == "[", let (numbers, end) = Self.citation(in: characters, at: index) {
                let valid = numbers.filter { $0 >= 1 && $0 <= passageCount }
                dropped += numbers.filter { !valid.contains($0) }
                if valid.isEmpty {
                    // Drop the brackets and the space that led to them ("text [9]." → "text.").
                    while let last = output.last, last == " " || last == "\t" { output.removeLast() }
                    if end < characters.count, output.last.map({ !$0.isWhitespace }) ?? false,
                       characters[end].isLetter || characters[end].isNumber {
                        output += " "
                    }
                } else {
                    output += valid.count == numbers.count
                        ? String(characters[index..<end])
                        : "[" + valid.map(String.init).joined(separator: ", ") + "]"
                    cited.formUnion(valid)
                }
                index = end
                continue
            }
            output.append(characters[index])
            index += 1
        }
        return Resolution(text: output, cited: cited.sorted(), dropped: dropped)
    }

    /// The numbers of a citation starting at `start` (a `[`) and the index after its `]`; nil
    /// when the brackets hold anything but numbers, commas and spaces, or are a Markdown link.
    static func citation(in characters: [Character], at start: Int) -> ([Int], Int)? {
        var numbers: [Int] = []
        var digits = ""
        var index = start + 1
        while index < characters.count, index - start <= 64 {
            let character = characters[index]
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if character == "," || character == " " || character == "]" {
                if !digits.isEmpty {
                    guard let number = Int(digits) else { return nil }
                    numbers.append(number)
                    digits = ""
                }
                if character == "]" {
                    guard !numbers.isEmpty else { return nil }
                    let end = index + 1
                    if end < characters.count, characters[end] == "(" { return nil }  // [1](url): a link
                    return (numbers, end)
                }
            } else {
                return nil
            }
            index += 1
        }
        return nil
    }
}
