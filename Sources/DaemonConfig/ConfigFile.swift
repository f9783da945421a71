import Foundation

/// A `key = value` file: `#` starts a comment (outside values that need it, see below), blank
/// lines are ignored, keys are lower-case words. Every entry remembers its line so errors can
/// point at it.
///
/// A `#` preceded by whitespace ends the value; a `#` inside a value (`https://x/#/y`) is kept.
public struct ConfigFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int
    }

    /// Where the text came from, for messages.
    public var path: String
    public var entries: [Entry]

    /// Parses `text`; fails at the first line that is not `key = value`.
    public init(path: String, text: String) throws(ConfigError) {
        self.path = path
        entries = []
        var seen: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = Self.stripComment(String(rawLine)).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(path: path, line: lineNumber, message: "expected `key = value`, found “\(Self.shorten(line))”")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw ConfigError(path: path, line: lineNumber, message: "“\(Self.shorten(key))” is not a valid key")
            }
            if let previous = seen[key] {
                throw ConfigError(path: path, line: lineNumber, message: "`\(key)` is already set on line \(previous)")
            }
            seen[key] = lineNumber
            entries.append(Entry(key: key, value: Self.unquote(value), line: lineNumber))
        }
    }

    /// Reads and parses a file.
    public static func load(path: String) throws(ConfigError) -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(path: path, line: nil, message: "cannot read the file: \(Self.reason(error))")
        }
        return try ConfigFile(path: path, text: text)
    }

    /// Reads entries by key, tracking which were used so unknown keys can be reported.
    public func reader() -> Reader { Reader(file: self) }

    /// Typed access to a file's entries, with errors that name the line.
    public struct Reader {
        let file: ConfigFile
        private(set) var used: Set<String> = []

        init(file: ConfigFile) { self.file = file }

        public mutating func string(_ key: String) -> String? {
            used.insert(key)
            return file.entries.first { $0.key == key }?.value
        }

        /// The entry's line, for errors about its value.
        public func line(of key: String) -> Int? {
            file.entries.first { $0.key == key }?.line
        }

        public func error(_ key: String, _ message: String) -> ConfigError {
            ConfigError(path: file.path, line: line(of: key), message: "`\(key)`: \(message)")
        }

        public mutating func list(_ key: String) -> [String]? {
            string(key).map { value in
                value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }

        public mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
            guard let value = string(key) else { return nil }
            switch value.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw error(key, "expected true or false, found “\(ConfigFile.shorten(value))”")
            }
        }

        public mutating func int(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let value = string(key) else { return nil }
            guard let number = Int(value), range.contains(number) else {
                throw error(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found “\(ConfigFile.shorten(value))”")
            }
            return number
        }

        public mutating func double(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
            guard let value = string(key) else { return nil }
            guard let number = Double(value), number.isFinite, range.contains(number) else {
                throw error(key, "expected a number from \(range.lowerBound) to \(range.upperBound), found “\(ConfigFile.shorten(value))”")
            }
            return number
        }

        /// A duration such as `90`, `90s`, `15m`, `1h` or `7d`, in seconds.
        public mutating func duration(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let value = string(key) else { return nil }
            guard let seconds = ConfigFile.parseDuration(value), range.contains(seconds) else {
                throw error(key, "expected a duration such as 30m, 1h or 1d (from \(range.lowerBound)s to \(range.upperBound)s), found “\(ConfigFile.shorten(value))”")
            }
            return seconds
        }

        /// Fails on a key nobody asked for (a typo must not be silently ignored).
        public func rejectUnknownKeys() throws(ConfigError) {
            if let unknown = file.entries.first(where: { !used.contains($0.key) }) {
                throw ConfigError(path: file.path, line: unknown.line, message: "unknown setting `\(unknown.key)`")
            }
        }
    }

    /// Seconds in `90`, `90s`, `15m`, `1h`, `7d`.
    public static func parseDuration(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let multiplier: Int
        var digits = Substring(trimmed)
        switch last {
        case "s": multiplier = 1; digits = digits.dropLast()
        case "m": multiplier = 60; digits = digits.dropLast()
        case "h": multiplier = 3_600; digits = digits.dropLast()
        case "d": multiplier = 86_400; digits = digits.dropLast()
        default: multiplier = 1
        }
        guard let number = Int(digits.trimmingCharacters(in: .whitespaces)), number >= 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    static func stripComment(_ line: String) -> String {
        if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { return "" }
        var previous: Character = " "
        var inQuotes = false
        for index in line.indices {
            let character = line[index]
            if character == "\"" { inQuotes.toggle() }
            if character == "#", !inQuotes, previous == " " || previous == "\t" {
                return String(line[..<index])
            }
            previous = character
        }
        return line
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast())
        }
        return value
    }

    static func shorten(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "…" : text
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return nsError.localizedDescription
    }
}

/// A configuration problem, with the file and line to fix.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}
