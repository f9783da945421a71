import Varlink

/// Why a tool's arguments were refused: reported to the model as an `isError` result, so it
/// can correct the call (spec: input validation errors are tool execution errors).
struct ToolInputError: Error, Sendable, Equatable {
    var message: String
}

/// Typed reads of a `tools/call` `arguments` object, each with a sentence a model can act on.
struct ToolArguments {
    let values: [String: JSONValue]

    /// Refuses members the tool does not take (a misspelt `max_chars` would otherwise be ignored).
    init(_ values: [String: JSONValue], allowed: [String]) throws(ToolInputError) {
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ToolInputError(
                message: "unknown argument\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); "
                    + "this tool takes \(allowed.joined(separator: ", "))")
        }
        self.values = values
    }

    func string(_ name: String) throws(ToolInputError) -> String? {
        switch values[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw ToolInputError(message: "\(name) must be a string")
        }
    }

    /// A string that must be present and not blank.
    func requiredString(_ name: String) throws(ToolInputError) -> String {
        guard let value = try string(name), !value.allSatisfy(\.isWhitespace) else {
            throw ToolInputError(message: "\(name) is required (a non-empty string)")
        }
        return value
    }

    /// An integer within `range`; JSON numbers like `10.0` count as integers.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(ToolInputError) -> Int? {
        guard let value = values[name], value != .null else { return nil }
        guard let number = value.integerValue, let integer = Int(exactly: number), range.contains(integer) else {
            let upper = range.upperBound == Int.max ? "" : " and \(range.upperBound)"
            let bounds = upper.isEmpty ? "at least \(range.lowerBound)" : "between \(range.lowerBound)\(upper)"
            throw ToolInputError(message: "\(name) must be an integer \(bounds)")
        }
        return integer
    }
}
