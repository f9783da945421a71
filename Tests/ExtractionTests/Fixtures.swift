import Foundation
import SystemdTestSupport
import Testing

/// The files of `scripts/lib/extraction_fixtures.py`, written once per test process into a temporary
/// directory, and the helper executable built beside the test bundle.
enum Fixtures {
    static let directory: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-extract-fixtures-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/lib/extraction_fixtures.py").standardizedFileURL.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, directory]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            Issue.record("extraction_fixtures.py did not run: \(error)")
        }
        if process.terminationStatus != 0 { Issue.record("extraction_fixtures.py exited with \(process.terminationStatus)") }
        return directory
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// `tributary-extract` in the build directory (beside the test bundle).
    static let helper: String = (try? BuiltProducts.path(of: "tributary-extract")) ?? "tributary-extract"

    /// A shell script used as the helper, for crashes and for what the sandbox leaves open.
    static func script(_ name: String, _ body: String) throws -> String {
        let path = directory + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }
}
