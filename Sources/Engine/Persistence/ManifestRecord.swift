import Storage

/// How the `pages` table stores a ``ManifestEntry``: a compact binary record.
///
/// Every page of every datastore has one, and whole-datastore scans (the end of a listing, the
/// credit estimate, the label refresh, filtered searches) decode all of them; as JSON that was
/// about 6 % of a 20,000-page sync bench's CPU. Records written by earlier versions are JSON
/// (they start with `{`) and are still read; each is rewritten in this form the next time its
/// page changes, so no migration pass is needed.
///
/// Layout (integers big-endian, after ``BinaryRecord``'s format byte): a 16-bit mask of the
/// optional fields present (``Field``); page id, title, space key and status as length-prefixed
/// strings; version seen, cycle seen, chunks, tokens and failures as 64-bit integers; the
/// disposition as one byte (``dispositionCodes``); the unrendered macros as a 32-bit count and
/// strings; then each optional field present, in ``Field`` order.
struct ManifestRecord: BinaryRecord, Sendable {
    static let tableName = "pages"
    var value: ManifestEntry

    init(_ value: ManifestEntry) {
        self.value = value
    }

    /// Bits of the mask of optional fields present, in the order their values follow.
    private enum Field: UInt16, CaseIterable {
        case parentId = 0x1, versionIndexed = 0x2, reason = 0x4, webui = 0x8, labels = 0x10, lastModified = 0x20
        case lastProcessed = 0x40, contentType = 0x80, commentsSeen = 0x100, commentsIndexed = 0x200
    }

    /// A disposition's stored byte: fixed here, never derived from declaration order.
    private static let dispositionCodes: [PageDisposition: UInt8] = [
        .pending: 0, .indexed: 1, .skipped: 2, .failed: 3, .deleted: 4,
    ]
    private static let dispositionsByCode: [UInt8: PageDisposition] =
        Dictionary(uniqueKeysWithValues: dispositionCodes.map { ($1, $0) })

    static func encode(_ entry: ManifestEntry, to writer: inout ByteWriter) {
        var mask: UInt16 = 0
        func mark(_ field: Field, _ present: Bool) { if present { mask |= field.rawValue } }
        mark(.parentId, entry.parentId != nil)
        mark(.versionIndexed, entry.versionIndexed != nil)
        mark(.reason, entry.reason != nil)
        mark(.webui, entry.webui != nil)
        mark(.labels, entry.labels != nil)
        mark(.lastModified, entry.lastModified != nil)
        mark(.lastProcessed, entry.lastProcessed != nil)
        mark(.contentType, entry.contentType != nil)
        mark(.commentsSeen, entry.commentsSeen != nil)
        mark(.commentsIndexed, entry.commentsIndexed != nil)

        writer.append(mask)
        writer.appendPrefixed(entry.pageId)
        writer.appendPrefixed(entry.title)
        writer.appendPrefixed(entry.spaceKey)
        writer.appendPrefixed(entry.status)
        writer.append(Int64(entry.versionSeen))
        writer.append(entry.seenInCycle)
        writer.append(Int64(entry.chunks))
        writer.append(Int64(entry.tokens))
        writer.append(Int64(entry.failures))
        writer.append(Self.dispositionCodes[entry.disposition]!)
        Self.appendStrings(entry.unrenderedMacros, to: &writer)
        if let parentId = entry.parentId { writer.appendPrefixed(parentId) }
        if let versionIndexed = entry.versionIndexed { writer.append(Int64(versionIndexed)) }
        if let reason = entry.reason { writer.appendPrefixed(reason) }
        if let webui = entry.webui { writer.appendPrefixed(webui) }
        if let labels = entry.labels { Self.appendStrings(labels, to: &writer) }
        if let lastModified = entry.lastModified { writer.append(lastModified) }
        if let lastProcessed = entry.lastProcessed { writer.append(lastProcessed) }
        if let contentType = entry.contentType { writer.appendPrefixed(contentType) }
        if let commentsSeen = entry.commentsSeen { writer.appendPrefixed(commentsSeen) }
        if let commentsIndexed = entry.commentsIndexed { writer.appendPrefixed(commentsIndexed) }
    }

    static func decode(_ reader: inout ByteReader) throws(StorageError) -> ManifestEntry {
        let mask = try readFieldMask(&reader, known: Field.allCases.reduce(UInt16(0)) { $0 | $1.rawValue })
        func has(_ field: Field) -> Bool { mask & field.rawValue != 0 }
        let pageId = try reader.readPrefixedString()
        let title = try reader.readPrefixedString()
        let spaceKey = try reader.readPrefixedString()
        let status = try reader.readPrefixedString()
        let versionSeen = try readInt(&reader)
        let seenInCycle = try reader.read(UInt64.self)
        var entry = ManifestEntry(pageId: pageId, title: title, spaceKey: spaceKey, parentId: nil, status: status,
                                  versionSeen: versionSeen, seenInCycle: seenInCycle, webui: nil)
        entry.chunks = try readInt(&reader)
        entry.tokens = try readInt(&reader)
        entry.failures = try readInt(&reader)
        let code = try reader.read(UInt8.self)
        guard let disposition = dispositionsByCode[code] else {
            throw .decoding(table: tableName, detail: "unknown page disposition \(code) in a manifest record")
        }
        entry.disposition = disposition
        entry.unrenderedMacros = try readStrings(&reader)
        if has(.parentId) { entry.parentId = try reader.readPrefixedString() }
        if has(.versionIndexed) { entry.versionIndexed = try readInt(&reader) }
        if has(.reason) { entry.reason = try reader.readPrefixedString() }
        if has(.webui) { entry.webui = try reader.readPrefixedString() }
        if has(.labels) { entry.labels = try readStrings(&reader) }
        if has(.lastModified) { entry.lastModified = try reader.read(Int64.self) }
        if has(.lastProcessed) { entry.lastProcessed = try reader.read(Int64.self) }
        if has(.contentType) { entry.contentType = try reader.readPrefixedString() }
        if has(.commentsSeen) { entry.commentsSeen = try reader.readPrefixedString() }
        if has(.commentsIndexed) { entry.commentsIndexed = try reader.readPrefixedString() }
        return entry
    }

    private static func appendStrings(_ strings: [String], to writer: inout ByteWriter) {
        writer.append(UInt32(truncatingIfNeeded: strings.count))
        for string in strings { writer.appendPrefixed(string) }
    }

    private static func readStrings(_ reader: inout ByteReader) throws(StorageError) -> [String] {
        let count = Int(try reader.read(UInt32.self))
        // Each string takes at least its 4-byte length: a count beyond that is damage, not a size to reserve.
        guard count <= reader.remainingCount / 4 else {
            throw .decoding(table: tableName, detail: "\(count) strings cannot fit in \(reader.remainingCount) bytes")
        }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count { strings.append(try reader.readPrefixedString()) }
        return strings
    }

    private static func readInt(_ reader: inout ByteReader) throws(StorageError) -> Int {
        Int(try reader.read(Int64.self))
    }
}
