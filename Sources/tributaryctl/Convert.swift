import ArgumentParser
import Content
import Foundation

/// `tributaryctl convert FILE|-`: shows a storage-format page as the index sees it.
struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert Confluence storage format to the Markdown the index sees.",
        discussion: """
        Prints the page as Markdown (headings, code fences, tables, panels, task boxes), then the \
        macros that were not rendered and the parse warnings. Reads standard input when FILE is '-'.
        """
    )

    @Argument(help: "A file holding a page's storage-format body, or '-' for standard input.")
    var file: String

    @Option(help: "The page title (default: the file name without its extension).")
    var title: String?

    @Flag(help: "Print the search chunks instead of the whole page.")
    var chunks = false

    @Option(help: "Target chunk size in words (with --chunks).")
    var chunkWords = ChunkingOptions().targetWords

    @Option(help: "Words shared by consecutive chunks (with --chunks).")
    var overlapWords = ChunkingOptions().overlapWords

    func run() async throws {
        let bytes = try readInput()
        let document = StorageFormat.convert(utf8: bytes, title: title ?? defaultTitle)
        var output = ""
        if chunks {
            let chunker = Chunker(options: ChunkingOptions(targetWords: chunkWords, overlapWords: overlapWords))
            for chunk in chunker.chunks(of: document, pageID: "-") {
                let path = chunk.headingPath.joined(separator: " > ")
                output += "--- chunk \(chunk.ordinal) · \(chunk.wordCount) words · #\(chunk.anchor) · \(path)\n"
                output += chunk.text + "\n"
            }
        } else {
            output = MarkdownRenderer.render(document)
        }
        let diagnostics = MarkdownRenderer.renderDiagnostics(document)
        if !diagnostics.isEmpty { output += "\n" + diagnostics }
        FileHandle.standardOutput.write(Data(output.utf8))
    }

    private var defaultTitle: String {
        file == "-" ? "" : URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    }

    private func readInput() throws -> [UInt8] {
        if file == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        guard FileManager.default.fileExists(atPath: file) else {
            throw ConvertError.noSuchFile(file)
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConvertError.unreadable(file)
        }
        return [UInt8](data)
    }
}

/// Why `convert` could not read its input; ArgumentParser prints the description and exits 1.
enum ConvertError: Error, CustomStringConvertible {
    case noSuchFile(String)
    case unreadable(String)

    var description: String {
        switch self {
        case .noSuchFile(let path): "no such file: \(path)"
        case .unreadable(let path): "cannot read file: \(path)"
        }
    }
}
