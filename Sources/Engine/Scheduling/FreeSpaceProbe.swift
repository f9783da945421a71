import Glibc

/// Tells how much space the state directory's filesystem has free: the disk watcher's seam
/// (tests give the answer they want).
public protocol FreeSpaceProbe: Sendable {
    /// Bytes an unprivileged writer may still use, or nil when it cannot be told.
    func availableBytes() -> Int64?
    /// The filesystem's size, or nil when it cannot be told.
    func totalBytes() -> Int64?
}

extension FreeSpaceProbe {
    public func totalBytes() -> Int64? { nil }
}

/// `statvfs(2)` on a directory: the blocks available to unprivileged users (quota aside).
public struct StatvfsFreeSpaceProbe: FreeSpaceProbe {
    public let path: String

    public init(path: String) { self.path = path }

    public func availableBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int64(info.f_bavail).multipliedReportingOverflow(by: Int64(info.f_frsize))
        return overflow ? .max : bytes
    }

    public func totalBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int64(info.f_blocks).multipliedReportingOverflow(by: Int64(info.f_frsize))
        return overflow ? .max : bytes
    }
}
