import Foundation

/// Finds executables built beside the running test bundle.
public enum BuiltProducts {
    /// The path of the executable product `name` in the build products directory that holds
    /// the running test runner (`<products>/TributaryPackageTests.xctest`).
    public static func path(of name: String) throws -> String {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw HarnessError("\(name) was not built next to the tests (swift build --product \(name))")
    }
}
