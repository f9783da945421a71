/// A datastore's page counts, kept in step with its manifest (see ``ManifestRepository``).
public struct PageCounts: Sendable, Equatable {
    /// Pages by disposition.
    public var pending = 0
    public var indexed = 0
    public var skipped = 0
    public var failed = 0
    public var deleted = 0
    /// Pages whose content is in the index (indexed, or pending with an older version indexed).
    public var searchablePages = 0
    /// Skipped and failed pages by reason code (the part of the reason before its first colon).
    public var skippedByReason: [String: Int] = [:]
    public var failedByReason: [String: Int] = [:]
    /// Unrendered macros by name: how many indexed or pending pages carry each.
    public var unrenderedMacros: [String: Int] = [:]

    public init() {}

    /// Pages the listings found and did not find gone since: all but the deleted.
    public var discovered: Int { pending + indexed + skipped + failed }
    /// Entries of every disposition, deleted ones included: every page the manifest holds.
    public var entries: Int { pending + indexed + skipped + failed + deleted }

    /// Rebuilds the counts from the stored rows (`disposition.<d>`, `skipped.<reason>`,
    /// `failed.<reason>`, `macro.<name>`, `searchable`): the on-disk layout stays as it was.
    init(rows: [(String, Int)]) {
        for (key, value) in rows { apply(row: key, value: value) }
    }

    private mutating func apply(row key: String, value: Int) {
        if key.hasPrefix("disposition.") {
            switch PageDisposition(rawValue: String(key.dropFirst("disposition.".count))) {
            case .pending: pending += value
            case .indexed: indexed += value
            case .skipped: skipped += value
            case .failed: failed += value
            case .deleted: deleted += value
            case nil: break
            }
        } else if key.hasPrefix("skipped.") {
            skippedByReason[String(key.dropFirst("skipped.".count)), default: 0] += value
        } else if key.hasPrefix("failed.") {
            failedByReason[String(key.dropFirst("failed.".count)), default: 0] += value
        } else if key.hasPrefix("macro.") {
            unrenderedMacros[String(key.dropFirst("macro.".count)), default: 0] += value
        } else if key == "searchable" {
            searchablePages += value
        }
    }

    /// The stored rows one manifest entry counts in, each with 1.
    static func rows(of entry: ManifestEntry) -> [(String, Int)] {
        var names = ["disposition." + entry.disposition.rawValue]
        if entry.disposition == .skipped || entry.disposition == .failed, let reason = entry.reason {
            names.append(entry.disposition.rawValue + "." + reasonCode(reason))
        }
        if entry.disposition == .indexed || entry.disposition == .pending {
            for macro in Set(entry.unrenderedMacros) { names.append("macro." + macro) }
            if entry.versionIndexed != nil { names.append("searchable") }
        }
        return names.map { ($0, 1) }
    }

    /// The part of a reason before the first colon ("excluded_by_label:template" → "excluded_by_label").
    static func reasonCode(_ reason: String) -> String {
        String(reason.prefix { $0 != ":" })
    }
}
