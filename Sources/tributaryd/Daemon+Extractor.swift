import Extraction

extension Daemon {
    /// The attachment text extractor the engine is given: the text formats in process. The
    /// sandboxed helper (`SandboxedExtractor`) takes its place where it is built.
    static func makeExtractor() -> any TextExtractor {
        TextFormatsExtractor()
    }
}
