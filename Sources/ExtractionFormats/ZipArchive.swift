import CZlib
import Extraction

/// A read-only ZIP archive in memory (the container of OOXML and ODF files), with a hard cap on
/// inflated bytes per entry and in total: a ZIP bomb fails with ``ExtractionFailure/Reason/resourceLimit``
/// as soon as it passes either, whatever sizes its headers claim.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var compressedSize: Int
        var localHeaderOffset: Int
    }

    /// Inflated bytes one entry may produce, and all entries of one file together.
    static let maxEntryBytes = 64 * 1_048_576
    static let maxTotalBytes = 160 * 1_048_576
    /// More entries than this is not a document (and listing them would be the attack).
    static let maxEntries = 20_000

    private let bytes: [UInt8]
    private(set) var entries: [String: Entry] = [:]
    /// Entry names in central-directory order.
    private(set) var names: [String] = []
    private var inflatedTotal = 0

    /// True when `bytes` start with a local file header.
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    /// Reads the central directory; a missing or inconsistent one is ``ExtractionFailure/Reason/corrupt``.
    init(_ bytes: [UInt8]) throws(ExtractionFailure) {
        self.bytes = bytes
        // The end-of-central-directory record is in the last 65,557 bytes (22 + a comment).
        let searchStart = max(0, bytes.count - 65_557)
        var eocd: Int?
        var index = bytes.count - 22
        while index >= searchStart {
            if u32(index) == 0x0605_4B50 { eocd = index; break }
            index -= 1
        }
        guard let eocd else { throw ExtractionFailure(.corrupt, "the ZIP container has no central directory (truncated?)") }
        let count = Int(u16(eocd + 10))
        let directorySize = Int(u32(eocd + 12))
        let directoryOffset = Int(u32(eocd + 16))
        guard count <= Self.maxEntries else {
            throw ExtractionFailure(.resourceLimit, "the ZIP container lists \(count) entries, more than \(Self.maxEntries)")
        }
        guard directoryOffset + directorySize <= eocd else {
            throw ExtractionFailure(.corrupt, "the ZIP central directory lies outside the file (truncated?)")
        }
        var position = directoryOffset
        for _ in 0..<count {
            guard position + 46 <= eocd, u32(position) == 0x0201_4B50 else {
                throw ExtractionFailure(.corrupt, "a ZIP central-directory record is damaged")
            }
            let nameLength = Int(u16(position + 28))
            let extraLength = Int(u16(position + 30))
            let commentLength = Int(u16(position + 32))
            guard position + 46 + nameLength <= eocd else {
                throw ExtractionFailure(.corrupt, "a ZIP entry name runs past the central directory")
            }
            let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            let entry = Entry(
                name: name, method: u16(position + 10), flags: u16(position + 8),
                compressedSize: Int(u32(position + 20)), localHeaderOffset: Int(u32(position + 42)))
            if entries[name] == nil { names.append(name) }
            entries[name] = entry
            position += 46 + nameLength + extraLength + commentLength
        }
    }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The inflated bytes of `name`, or nil when the archive has no such entry.
    mutating func read(_ name: String) throws(ExtractionFailure) -> [UInt8]? {
        guard let entry = entries[name] else { return nil }
        if entry.flags & 1 != 0 { throw ExtractionFailure(.encrypted, "the document's ZIP entries are encrypted") }
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, u32(header) == 0x0403_4B50 else {
            throw ExtractionFailure(.corrupt, "a ZIP entry's local header is damaged")
        }
        let dataStart = header + 30 + Int(u16(header + 26)) + Int(u16(header + 28))
        guard dataStart + entry.compressedSize <= bytes.count else {
            throw ExtractionFailure(.corrupt, "a ZIP entry runs past the end of the file (truncated?)")
        }
        let budget = min(Self.maxEntryBytes, Self.maxTotalBytes - inflatedTotal)
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize <= budget else { throw Self.bomb() }
            output = Array(bytes[dataStart..<(dataStart + entry.compressedSize)])
        case 8:
            output = try inflate(from: dataStart, count: entry.compressedSize, budget: budget)
        default:
            throw ExtractionFailure(.corrupt, "a ZIP entry uses compression method \(entry.method), which is not supported")
        }
        inflatedTotal += output.count
        return output
    }

    private static func bomb() -> ExtractionFailure {
        ExtractionFailure(.resourceLimit, "the document inflates past \(maxEntryBytes / 1_048_576) MiB per part or \(maxTotalBytes / 1_048_576) MiB in all (a ZIP bomb?)")
    }

    /// Raw deflate into a buffer that may never pass `budget` bytes.
    private func inflate(from start: Int, count: Int, budget: Int) throws(ExtractionFailure) -> [UInt8] {
        var stream = z_stream()
        guard tributary_inflate_init_raw(&stream) == Z_OK else {
            throw ExtractionFailure(.extractionFailed, "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var status: Int32 = Z_OK
        var overBudget = false
        bytes.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + start)
            stream.avail_in = UInt32(count)
            while status == Z_OK {
                chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > budget {
                    overBudget = true
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                if produced == 0, stream.avail_in == 0, status == Z_OK { status = Z_BUF_ERROR }
            }
        }
        if overBudget { throw Self.bomb() }
        guard status == Z_STREAM_END else {
            throw ExtractionFailure(.corrupt, "a ZIP entry's compressed data is damaged")
        }
        return output
    }

    private func u16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
    private func u32(_ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
