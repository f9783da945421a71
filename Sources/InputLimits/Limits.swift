/// The documented range of every number Tributary accepts, defined here once and checked where
/// each enters: the control socket (`ControlInterface`), `tributaryctl`, `tributaryd.conf` and
/// `datastores.d`. The ranges also keep the arithmetic behind them inside `Int64`: a next-sync
/// time, a charge or a balance computed from values in range cannot overflow.
public enum Limits {
    // MARK: Datastores

    /// Seconds between a datastore's sync cycles: a minute to a year
    /// (`--resync-interval`, `resync_interval`, `resyncIntervalSeconds`).
    public static let resyncIntervalSeconds = InputRange<Int>(60...31_536_000, unit: "seconds")
    /// Requests per second to one Confluence site (`--rate-limit`, `rate_limit`,
    /// `default_rate_limit`, `rateLimit`).
    public static let rateLimit = InputRange<Double>(0.01...1_000, unit: "requests per second")
    /// The port of a Confluence URL.
    public static let urlPort = InputRange<Int>(1...65_535, unit: "")
    /// An API token or PAT, in UTF-8 bytes: far below the control socket's 1 MiB message limit.
    public static let tokenBytes = InputRange<Int>(1...65_536, unit: "bytes")
    /// Largest attachment a datastore downloads and extracts (`max_attachment_bytes`,
    /// `--max-attachment-bytes`, `maxAttachmentBytes`): 1 KiB to 1 GiB.
    public static let attachmentBytes = InputRange<Int>(1_024...1_073_741_824, unit: "bytes")
    /// Most characters of text kept from one attachment (`max_attachment_chars`,
    /// `--max-attachment-chars`, `maxAttachmentChars`).
    public static let attachmentCharacters = InputRange<Int>(1_000...50_000_000, unit: "characters")
    /// `max_concurrent_datastores`.
    public static let concurrentDatastores = InputRange<Int>(1...64, unit: "datastores")

    // MARK: Credits (millicredits: 1 credit = 1000)

    /// One top-up (`credits add`, `AddCredits`, `initial_credits`): up to 10^12 credits.
    public static let addedMillicredits = InputRange<Int64>(1...1_000_000_000_000_000, unit: "millicredits")
    /// Auto top-off amount, threshold and monthly cap: up to 10^12 credits each.
    public static let policyMillicredits = InputRange<Int64>(0...1_000_000_000_000_000, unit: "millicredits")
    /// The price per 1000 tokens (`credits price`, `credits_per_1000_tokens`): up to 10^6 credits.
    public static let millicreditsPerThousandTokens = InputRange<Int64>(0...1_000_000_000, unit: "millicredits per 1000 tokens")
    /// The largest balance: a top-up that would pass it is refused (10^15 credits).
    public static let maxBalanceMillicredits: Int64 = 1_000_000_000_000_000_000

    // MARK: Queries

    /// A search query or a question, in UTF-8 bytes (Search, Ask, the MCP tools).
    public static let queryBytes = InputRange<Int>(1...4_096, unit: "bytes")

    // MARK: tributaryctl only

    /// `watch --timeout`: a millisecond to a year.
    public static let watchTimeoutSeconds = InputRange<Double>(0.001...31_536_000, unit: "seconds")
}

/// Checks of a URL's parts that no later parser must see: a user name or password (a secret
/// shown to every reader of `list`) and a port outside 1–65535.
public enum URLInput {
    /// What is wrong with `url`, as a sentence naming the limit (never repeating the secret);
    /// nil when neither problem is present. `tokenHint` says where the secret belongs.
    public static func problem(_ url: String, tokenHint: String) -> String? {
        let authority = authority(of: url)
        if authority.contains("@") {
            return "must not contain a user name or password (user:password@): give the token with \(tokenHint), never in the URL"
        }
        if let port = port(inAuthority: authority) {
            guard let number = Int(port), Limits.urlPort.contains(number) else {
                return "has port \(port.prefix(12)); a port is from \(Limits.urlPort.lowerBound) to \(Limits.urlPort.upperBound)"
            }
        }
        return nil
    }

    /// `url` without its `user:password@`; everything else (path, query) kept.
    public static func removingUserinfo(_ url: String) -> String {
        let (prefix, rest) = split(url)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<end].lastIndex(of: "@") else { return url }
        return prefix + rest[rest.index(after: at)...]
    }

    /// Whether `url` carries userinfo.
    public static func hasUserinfo(_ url: String) -> Bool { authority(of: url).contains("@") }

    /// The scheme with its `://`, and the rest.
    private static func split<S: StringProtocol>(_ url: S) -> (String, Substring) {
        let text = Substring(url)
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("://") {
                let rest = text.index(index, offsetBy: 3)
                return (String(text[..<rest]), text[rest...])
            }
            index = text.index(after: index)
        }
        return ("", text)
    }

    private static func authority(of url: String) -> Substring {
        let rest = split(url.trimmingWhitespace).1
        return rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    }

    /// The digits after the host's last `:` (after `]` for IPv6); nil when no port is written.
    private static func port(inAuthority authority: Substring) -> Substring? {
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let afterBracket = host.lastIndex(of: "]").map { host[host.index(after: $0)...] } ?? host
        guard let colon = afterBracket.lastIndex(of: ":") else { return nil }
        let port = afterBracket[afterBracket.index(after: colon)...]
        return port.isEmpty ? nil : port
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return Substring(scalars[first...last])
    }
}
