import EngineTestSupport
import Foundation
import SystemdTestSupport
import Testing

/// The files of `scripts/lib/extraction_fixtures.py` (``ExtractionFixtures``), and the helper
/// executable built beside the test bundle.
enum Fixtures {
    static let directory: String = {
        do {
            return try ExtractionFixtures.directory()
        } catch {
            Issue.record("\(error)")
            return FileManager.default.temporaryDirectory.path
        }
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
