import CSystemd
import Glibc

/// The thin layer over sd-journal: native submission and detecting whether stderr already
/// leads to the journal.
enum Journal {
    /// Sends one entry through `sd_journal_sendv`, which picks the native protocol's binary
    /// form for values with newlines and a sealed memfd for entries too big for a datagram.
    /// Returns 0, or the errno it failed with.
    static func send(_ fields: [JournalField]) -> Int32 {
        var buffer: [UInt8] = []
        var bounds: [Range<Int>] = []
        bounds.reserveCapacity(fields.count)
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value.utf8)
            bounds.append(start..<buffer.count)
        }
        let rc = buffer.withUnsafeMutableBytes { raw -> Int32 in
            let vectors = bounds.map { range in
                iovec(iov_base: raw.baseAddress.map { $0 + range.lowerBound }, iov_len: range.count)
            }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        return rc < 0 ? -rc : 0
    }

    /// The native protocol's socket.
    static let socketPath = "/run/systemd/journal/socket"

    /// Whether journald listens. `sd_journal_sendv` reports success when its socket is missing
    /// (it drops the entry silently), so the handler asks first.
    static func isAvailable() -> Bool {
        access(socketPath, F_OK) == 0
    }

    /// Whether file descriptor 2 is the journal stream systemd connected it to: `$JOURNAL_STREAM`
    /// holds `device:inode` of that stream, and a redirected stderr no longer matches
    /// (sd-daemon(3), systemd.exec(5)).
    static func isStderrJournalStream(_ journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        let parts = journalStream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
