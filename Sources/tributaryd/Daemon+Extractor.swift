import Extraction

extension Daemon {
    /// The attachment text extractor the engine is given: the `tributary-extract` helper installed
    /// beside the daemon, one sandboxed process per file, so a hostile file fails only itself.
    static func makeExtractor() -> any TextExtractor {
        SandboxedExtractor(helperPath: SandboxedExtractor.helperBesideExecutable())
    }
}
