import Foundation

/// Files of the repository the tests read (unit files, catalog, install script).
enum Repository {
    /// The checkout's root: this file is `Tests/SystemdTests/Paths.swift`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func contents(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }
}
