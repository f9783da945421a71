// ExtractionBench HELPER FORMAT FILE RUNS: extracts FILE RUNS times through SandboxedExtractor
// (one helper process per run, spawn included, as the daemon does) and prints one JSON line:
// the per-run seconds, the characters extracted, and the failure reason if any. The character
// limit is lifted so that every byte of the file is read (the daemon's default would cut at 500,000).
// scripts/bench extraction drives it per format, beside pdftotext for PDF.
import Extraction
import Glibc

let arguments = CommandLine.arguments
guard arguments.count == 5, let format = DocumentFormat(rawValue: arguments[2]), let runs = Int(arguments[4]), runs > 0 else {
    print("usage: ExtractionBench HELPER FORMAT FILE RUNS")
    exit(2)
}
let extractor = SandboxedExtractor(helperPath: arguments[1])
let limits = ExtractionLimits(maxCharacters: 100_000_000)
let clock = ContinuousClock()
var seconds: [Double] = []
var characters = 0
var failure = ""
for _ in 0..<runs {
    let start = clock.now
    do {
        let document = try await extractor.extract(path: arguments[3], format: format, limits: limits)
        characters = document.characterCount
    } catch {
        failure = error.reason.rawValue
    }
    let elapsed = clock.now - start
    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
let list = seconds.map { String($0) }.joined(separator: ",")
print("{\"seconds\":[\(list)],\"characters\":\(characters),\"failure\":\"\(failure)\"}")
