import Foundation

/// Wall-clock helpers and formatting shared by the bench suites.
enum Measure {
    /// Seconds taken by `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func rate(_ count: Int, _ seconds: Double) -> String {
        let perSecond = Double(count) / max(seconds, 1e-9)
        if perSecond >= 1e6 { return String(format: "%.2fM/s", perSecond / 1e6) }
        if perSecond >= 1e3 { return String(format: "%.1fk/s", perSecond / 1e3) }
        return String(format: "%.0f/s", perSecond)
    }

    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "tributary-bench-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Prints one aligned row.
    static func row(_ label: String, _ value: String, _ note: String = "") {
        let padded = label.padding(toLength: 46, withPad: " ", startingAt: 0)
        let paddedValue = value.padding(toLength: 14, withPad: " ", startingAt: 0)
        print("  \(padded) \(paddedValue) \(note)")
    }
}
