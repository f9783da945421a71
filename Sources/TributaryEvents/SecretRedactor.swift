import Logging

/// Keeps secrets out of log output: the journal and stderr handlers pass every message,
/// error description and metadata value through it.
///
/// Two layers:
/// - a metadata key that names a secret (`token`, `api_token`, `password`, `authorization`,
///   `cookie`, `apiKey`…) is masked whatever its value; a key that only *refers* to one
///   (`token_file`, `token_credential`, `tokens`) is not;
/// - text is scanned for what looks like a credential: the password in `https://user:pw@host`,
///   the value of `token=…`, `"password": "…"` or `Authorization: Basic …`, the credential after
///   `Bearer`/`Basic`, Atlassian API tokens (`ATATT…`), and runs of base64-like characters with
///   a long random-looking segment (mixed case and digits). URLs, page titles, hex hashes and
///   UUIDs pass unchanged.
///
/// The scan is a safety net, not a licence: code that holds a secret wraps it in ``Redacted``.
public enum SecretRedactor {
    /// What a secret is replaced with.
    public static let placeholder = "<redacted>"

    /// Whether a metadata key names a secret.
    public static func isSensitiveKey(_ key: String) -> Bool {
        let words = MetadataKey.words(in: key)
        guard let last = words.last, !referenceQualifiers.contains(last) else { return false }
        if words.contains(where: isSecretWord) { return true }
        return zip(words, words.dropFirst()).contains { secretPairs.contains([$0, $1]) }
    }

    /// `text` with everything that looks like a secret replaced by ``placeholder``.
    public static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 6 else { return text }
        var scanner = Scanner(bytes: bytes)
        scanner.maskURLPasswords()
        scanner.maskAssignments()
        scanner.maskSchemeCredentials()
        scanner.maskTokenShapedRuns()
        return scanner.masks.isEmpty ? text : scanner.rebuilt()
    }

    /// `value` redacted as the value of `key`: masked whole when the key names a secret,
    /// otherwise scanned (recursively for arrays and dictionaries).
    public static func redact(_ value: Logger.MetadataValue, key: String) -> Logger.MetadataValue {
        isSensitiveKey(key) ? .redacted : redactContents(value)
    }

    /// Every value of `metadata` redacted as its key demands.
    public static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            result[key] = redact(value, key: key)
        }
        return result
    }

    private static func redactContents(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(redact(text))
        case .stringConvertible(let convertible): .string(redact(convertible.description))
        case .array(let items): .array(items.map(redactContents))
        case .dictionary(let dictionary): .dictionary(redact(dictionary))
        }
    }

    /// A last word that makes the key a reference to a secret rather than the secret.
    private static let referenceQualifiers: Set<String> = [
        "file", "path", "dir", "directory", "credential", "source", "name", "count", "kind", "type", "id",
        "length", "expiry", "expires", "url",
    ]
    private static let secretPairs: Set<[String]> = [
        ["api", "key"], ["private", "key"], ["access", "key"], ["session", "key"], ["signing", "key"],
    ]

    private static func isSecretWord(_ word: String) -> Bool {
        switch word {
        case "authorization", "cookie", "passwd", "passphrase", "secrets", "credentials", "bearer", "pat", "apikey",
            "privatekey":
            true
        default:
            word.hasSuffix("token") || word.hasSuffix("password") || word.hasSuffix("secret")
        }
    }
}

extension MetadataKey {
    /// The lower-case words of a key, split at punctuation and camel-case humps:
    /// `pageId`, `page-id` and `page_id` all give `["page", "id"]`; `HTTPStatus` gives
    /// `["http", "status"]`.
    public static func words(in key: String) -> [String] {
        var words: [String] = []
        var current: [Character] = []
        let characters = Array(key)
        for (index, character) in characters.enumerated() {
            guard character.isASCII, character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(String(current).lowercased()) }
                current = []
                continue
            }
            if character.isUppercase, let previous = current.last {
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A hump (`pageId`) or the last capital of an acronym before a word (`HTTPStatus`).
                let startsWord = !previous.isUppercase || (next?.isLowercase ?? false)
                if startsWord {
                    words.append(String(current).lowercased())
                    current = []
                }
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(String(current).lowercased()) }
        return words
    }
}

/// The byte-level scan behind ``SecretRedactor/redact(_:)``: it collects ranges to mask, then
/// rebuilds the text once. Only ASCII matters to the patterns; other bytes end runs.
private struct Scanner {
    let bytes: [UInt8]
    var masks: [Range<Int>] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// `scheme://user:password@host` → the password.
    mutating func maskURLPasswords() {
        var index = 0
        while let separator = find(Array("://".utf8), from: index) {
            var end = separator + 3
            var colon: Int?
            while end < bytes.count, !Self.endsAuthority(bytes[end]) {
                if bytes[end] == UInt8(ascii: ":"), colon == nil { colon = end }
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "@"), let colon, colon + 1 < end {
                masks.append(colon + 1..<end)
            }
            index = separator + 3
        }
    }

    /// `token=…`, `password: …`, `"api_token": "…"`, `Authorization: Basic …`.
    mutating func maskAssignments() {
        var index = 0
        while index < bytes.count {
            guard Self.isKeyByte(bytes[index]), index == 0 || !Self.isKeyByte(bytes[index - 1]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, Self.isKeyByte(bytes[end]) { end += 1 }
            let key = String(decoding: bytes[index..<end], as: UTF8.self)
            if SecretRedactor.isSensitiveKey(key) { maskValue(after: end) }
            index = end
        }
    }

    /// The credential after `Bearer ` or `Basic ` wherever it appears.
    mutating func maskSchemeCredentials() {
        for scheme in ["bearer ", "basic "] {
            var index = 0
            while let start = find(Array(scheme.utf8), from: index, caseInsensitive: true) {
                index = start + scheme.utf8.count
                guard start == 0 || !Self.isKeyByte(bytes[start - 1]) else { continue }
                var end = index
                while end < bytes.count, Self.isTokenByte(bytes[end]) { end += 1 }
                let credential = bytes[index..<end]
                if credential.count >= 8, credential.contains(where: { !Self.isLetter($0) }) {
                    masks.append(index..<end)
                }
            }
        }
    }

    /// Runs of base64-like characters that contain a random-looking segment.
    mutating func maskTokenShapedRuns() {
        var index = 0
        while index < bytes.count {
            guard Self.isTokenByte(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, Self.isTokenByte(bytes[end]) { end += 1 }
            let run = bytes[index..<end]
            let segments = run.split { Self.isSegmentSeparator($0) }
            if Self.isAtlassianToken(run) || segments.contains(where: Self.looksRandom) {
                masks.append(index..<end)
            }
            index = end
        }
    }

    /// The text with every mask replaced by the placeholder (overlapping masks merged).
    func rebuilt() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var position = 0
        for mask in masks.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if mask.lowerBound >= position {
                output.append(contentsOf: bytes[position..<mask.lowerBound])
                output.append(contentsOf: SecretRedactor.placeholder.utf8)
            }
            position = max(position, mask.upperBound)
        }
        output.append(contentsOf: bytes[position...])
        return String(decoding: output, as: UTF8.self)
    }

    /// Masks the value of a sensitive key that ends at `keyEnd`, if an assignment follows.
    private mutating func maskValue(after keyEnd: Int) {
        var index = keyEnd
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") { index += 1 }
        index = skipBlanks(from: index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "=") || bytes[index] == UInt8(ascii: ":") else { return }
        let isColon = bytes[index] == UInt8(ascii: ":")
        index = skipBlanks(from: index + 1)
        guard index < bytes.count else { return }
        if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
            let quote = bytes[index]
            var end = index + 1
            while end < bytes.count, bytes[end] != quote { end += 1 }
            if end > index + 1 { masks.append(index + 1..<end) }
            return
        }
        var end = index
        while end < bytes.count, !Self.endsValue(bytes[end]) { end += 1 }
        let word = String(decoding: bytes[index..<end], as: UTF8.self).lowercased()
        if ["basic", "bearer", "token", "digest", "negotiate"].contains(word) {
            let credentialStart = skipBlanks(from: end)
            var credentialEnd = credentialStart
            while credentialEnd < bytes.count, !Self.endsValue(bytes[credentialEnd]) { credentialEnd += 1 }
            if credentialEnd > credentialStart { masks.append(credentialStart..<credentialEnd) }
            return
        }
        // After `=` anything is a value; after `:` it may be prose ("invalid token: expired").
        let value = bytes[index..<end]
        let plausible = !isColon || (value.count >= 6 && (value.contains { !Self.isLetter($0) } || value.count >= 12))
        if !value.isEmpty, plausible { masks.append(index..<end) }
    }

    private func skipBlanks(from start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        return index
    }

    private func find(_ needle: [UInt8], from start: Int, caseInsensitive: Bool = false) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            var matched = true
            for offset in 0..<needle.count {
                let byte = caseInsensitive ? Self.lowercased(bytes[index + offset]) : bytes[index + offset]
                if byte != needle[offset] {
                    matched = false
                    break
                }
            }
            if matched { return index }
            index += 1
        }
        return nil
    }

    private static func looksRandom(_ segment: ArraySlice<UInt8>) -> Bool {
        guard segment.count >= 16 else { return false }
        let digits = segment.contains(where: isDigit)
        let upper = segment.contains(where: isUpper)
        let lower = segment.contains(where: isLower)
        if digits && upper && lower { return true }
        // Long single-case secrets (base32), but not hex digests.
        let hex = segment.allSatisfy { isDigit($0) || (lowercased($0) >= UInt8(ascii: "a") && lowercased($0) <= UInt8(ascii: "f")) }
        return segment.count >= 32 && digits && (upper || lower) && !hex
    }

    private static func isAtlassianToken(_ run: ArraySlice<UInt8>) -> Bool {
        run.count >= 20 && (run.starts(with: "ATATT".utf8) || run.starts(with: "ATCTT".utf8))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isLetter(_ byte: UInt8) -> Bool { isUpper(byte) || isLower(byte) }
    private static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte + 32 : byte }
    private static func isKeyByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        // `=` ends a run so `key=value` is judged by its value alone.
        isKeyByte(byte) || "+/.".utf8.contains(byte)
    }
    private static func isSegmentSeparator(_ byte: UInt8) -> Bool { "/.-_".utf8.contains(byte) }
    private static func endsAuthority(_ byte: UInt8) -> Bool { " \t\r\n/?#@\"'<>".utf8.contains(byte) }
    private static func endsValue(_ byte: UInt8) -> Bool { " \t\r\n&,;\"')]}<>".utf8.contains(byte) }
}
