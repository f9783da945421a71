import Foundation
import Synchronization

/// The real attachment files of `scripts/lib/extraction_fixtures.py` (every extracted format, and
/// the hostile ones), written once per test process into a temporary directory. Each sample carries
/// known words the tests search for.
public enum ExtractionFixtures {
    /// Why the files could not be written.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private static let written = Mutex<Result<String, Unavailable>?>(nil)

    /// The directory holding the files (written on first use).
    public static func directory() throws(Unavailable) -> String {
        try written.withLock { cached throws(Unavailable) -> String in
            if cached == nil { cached = write() }
            return try cached!.get()
        }
    }

    /// The path of fixture `name` (for example `sample.pdf`).
    public static func path(_ name: String) throws(Unavailable) -> String { try directory() + "/" + name }

    /// The bytes of fixture `name`.
    public static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }

    private static func write() -> Result<String, Unavailable> {
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
            return .failure(Unavailable(description: "extraction_fixtures.py did not run: \(error)"))
        }
        guard process.terminationStatus == 0 else {
            return .failure(Unavailable(description: "extraction_fixtures.py exited with \(process.terminationStatus)"))
        }
        return .success(directory)
    }
}
