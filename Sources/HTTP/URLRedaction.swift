import Foundation

/// Keeps credentials out of anything shown to people or logs.
public enum URLRedaction {
    /// `scheme://host[:port]/path` of a URL: userinfo, query and fragment removed.
    public static func redact(_ url: String) -> String {
        var rest = Substring(url)
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = String(rest[..<range.upperBound])
            rest = rest[range.upperBound...]
        }
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            rest = rest[..<cut]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        }
        return scheme + rest
    }

    /// The host (with port) of a URL, without userinfo.
    public static func host(of url: String) -> String? {
        let redacted = redact(url)
        guard let range = redacted.range(of: "://") else { return nil }
        let authority = redacted[range.upperBound...].prefix { $0 != "/" }
        return authority.isEmpty ? nil : String(authority)
    }

    /// Removes `user:password@` from any URL inside free text (libcurl messages can echo URLs).
    public static func scrub(_ text: String) -> String {
        guard text.contains("@") else { return text }
        var output = ""
        var remaining = Substring(text)
        while let range = remaining.range(of: "://") {
            output += remaining[..<range.upperBound]
            remaining = remaining[range.upperBound...]
            let authorityEnd = remaining.firstIndex { $0 == "/" || $0 == " " || $0 == "\"" || $0 == "'" }
                ?? remaining.endIndex
            if let at = remaining[..<authorityEnd].lastIndex(of: "@") {
                remaining = remaining[remaining.index(after: at)...]
            }
        }
        return output + remaining
    }
}
