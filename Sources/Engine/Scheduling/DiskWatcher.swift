import Glibc
import Storage
import Synchronization

/// Remembers that writing failed for want of space and tells, when asked on the scheduler's
/// tick, whether enough space came back. In memory on purpose: recording the pause may itself
/// fail on a full disk, and the scheduler must stop claiming work either way.
final class DiskWatcher: Sendable {
    private struct State {
        var neededBytes: Int64?
        var nextCheck: Int64 = 0
    }
    private let state = Mutex(State())
    let probe: any FreeSpaceProbe
    /// How often the probe is asked while the disk is full.
    let intervalMillis: Int64

    init(probe: any FreeSpaceProbe, intervalMillis: Int64) {
        self.probe = probe
        self.intervalMillis = max(intervalMillis, 1)
    }

    /// Whether `error` means the disk (or map) is full: ENOSPC, EDQUOT and the map at its
    /// maximum say so; an I/O error does when the filesystem has less than `headroomBytes`
    /// free (LMDB reports a short write, which is how a filling disk often shows, as EIO).
    func isOutOfSpace(_ error: StorageError, headroomBytes: Int64) -> Bool {
        if error.isOutOfSpace { return true }
        guard case .io(_, _, let code) = error, code == EIO || code == ENOSPC else { return false }
        guard let available = probe.availableBytes() else { return false }
        return available < requiredFreeBytes(headroomBytes: headroomBytes)
    }

    /// The free space to wait for: `headroomBytes`, but never more than a quarter of the
    /// filesystem (a small filesystem could never offer the full headroom).
    func requiredFreeBytes(headroomBytes: Int64) -> Int64 {
        guard let total = probe.totalBytes(), total > 0 else { return headroomBytes }
        return max(min(headroomBytes, total / 4), 1)
    }

    /// A write failed for want of space: about `neededBytes` must be free before writing resumes.
    func reportFull(neededBytes: Int64, now: Int64) {
        state.withLock { state in
            state.neededBytes = max(state.neededBytes ?? 0, neededBytes)
            state.nextCheck = now + intervalMillis
        }
    }

    /// The bytes needed while the disk is full; nil when writing may go on.
    var neededBytes: Int64? { state.withLock { $0.neededBytes } }

    /// When the probe is asked next (while full).
    var nextCheck: Int64? { state.withLock { $0.neededBytes == nil ? nil : $0.nextCheck } }

    /// Asks the probe when a check is due; true (and no longer full) when the space is back.
    func spaceReturned(now: Int64) -> Bool {
        let due: Int64? = state.withLock { state in
            guard let needed = state.neededBytes, now >= state.nextCheck else { return nil }
            state.nextCheck = now + intervalMillis
            return needed
        }
        guard let needed = due, let available = probe.availableBytes(), available >= needed else { return false }
        state.withLock { $0.neededBytes = nil }
        return true
    }
}
