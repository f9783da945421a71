import Foundation

/// libFuzzer's entry point: one input per call. Built with `scripts/fuzz` (`--sanitize fuzzer`,
/// `-DFUZZING`), libFuzzer supplies `main` and drives this.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.run(input)
    return 0
}

#if !FUZZING
/// Without libFuzzer (the ordinary build): replays the inputs in the files and directories
/// given, e.g. the seed corpus or a crash file, through the same harness.
@main
struct Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: VarlinkFuzz FILE_OR_DIRECTORY...\n".utf8))
            exit(2)
        }
        var replayed = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("VarlinkFuzz: no such file \(path)\n".utf8))
                exit(2)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let input = FileManager.default.contents(atPath: file) else { continue }
                FuzzHarness.run(Array(input))
                replayed += 1
            }
        }
        print("VarlinkFuzz: replayed \(replayed) inputs, no invariant broken")
    }
}
#endif
