import Foundation

/// Wall-clock helpers and formatting shared by the bench suites.
enum Measure {
    /// Seconds taken by `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        try timed(body).seconds
    }

    /// What `body` returns, and the seconds it took.
    static func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// CPU seconds the calling thread has used so far.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
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
