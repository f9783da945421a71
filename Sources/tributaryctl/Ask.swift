import ArgumentParser
import Control
import Foundation
import Synchronization

/// `tributaryctl ask NAME "question"`.
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from a datastore, citing the pages used.",
        discussion: """
        The best passages go to the model configured in tributaryd.conf (llm_url, llm_model), \
        which answers citing them as [n]; the sources follow the answer. Without a model, or \
        when it fails, the answer is the best passages themselves, each cited, and a line says \
        why (exit status 0 all the same).
        On a terminal the answer is printed as the model writes it (--stream does so anywhere).
        With --json: {"answer", "citations": [{"n", "datastore", "pageId", "title", "url"}, …], \
        "mode": "generated" | "extractive", "reason", "model", "usage", "chargedMillicredits"}.
        Examples: tributaryctl ask handbook "How do I file expenses?"
                  tributaryctl ask --all "Who approves a holiday?" --json
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "The datastore's name, then the question (several words may be given unquoted). With --datastore or --all: the question only.",
        valueName: "name> <question"))
    var words: [String] = []
    @Option(name: .customLong("datastore"), help: ArgumentHelp("Ask this datastore (repeatable).", valueName: "name"))
    var datastores: [String] = []
    @Flag(help: "Ask every searchable datastore.") var all = false
    @Option(help: "The number of passages to retrieve and send to the model, 1 to \(AskRequest.maxPassages).")
    var passages = AskRequest.defaultPassages
    @Flag(help: "Print the final answer as JSON (nothing is streamed).") var json = false
    @Flag(help: "Print the answer as it is written even when stdout is not a terminal.") var stream = false

    private var target: Target { Target(words: words, datastores: datastores, all: all) }

    func validate() throws {
        if all, !datastores.isEmpty { throw ValidationError("--all and --datastore exclude each other") }
        if target.words.isEmpty {
            throw ValidationError(all || !datastores.isEmpty ? "give the question" : "give a datastore's name and the question")
        }
        if !(1...AskRequest.maxPassages).contains(passages) {
            throw ValidationError("--passages must be between 1 and \(AskRequest.maxPassages)")
        }
    }

    func run() async throws {
        let request = AskRequest(datastores: target.names, question: target.text, passages: passages)
        let streaming = !json && (stream || Terminal.stdoutIsTerminal)
        let printed = Atomic<Bool>(false)
        let answer = try await withClient(connection) { client throws(ControlClientError) in
            try await client.ask(request) { delta in
                guard streaming else { return }
                printed.store(true, ordering: .relaxed)
                Terminal.write(delta)
            }
        }
        if json {
            Terminal.write(try JSONOutput.render(answer, nullMembers: ["reason", "model", "usage", "chargedMillicredits"]))
            return
        }
        Terminal.write(Self.render(answer, streamed: printed.load(ordering: .relaxed)))
    }

    /// The answer (unless it was streamed and the final text is the same as written), the
    /// sources, and why an answer is extractive.
    static func render(_ answer: AskAnswer, streamed: Bool) -> String {
        var output = ""
        if streamed {
            // The streamed text is the model's own; the final one has invented citations removed.
            output += "\n"
            if answer.mode == "extractive" { output += "\n" + answer.answer + "\n" }
        } else {
            output += answer.answer + "\n"
        }
        if !answer.citations.isEmpty {
            output += "\nSources:\n"
            for citation in answer.citations {
                output += "[\(citation.n)] \(citation.title) — \(citation.url)\n"
            }
        }
        if answer.mode == "extractive" {
            output += "\n(No generated answer: \(answer.reason ?? "no model answered"). These are the best passages.)\n"
        }
        return output
    }
}
