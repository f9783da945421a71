import Foundation
import Glibc

/// The few terminal facts and operations the human output needs.
enum Terminal {
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Reads one line from the terminal on stdin with echo off (for secrets), prompting on stderr.
    /// Echo comes back however the read ends, also when Ctrl-C, Ctrl-\, a hang-up or SIGTERM
    /// interrupts it (the signal is then re-raised, so the exit status still says why).
    static func readSecret(prompt: String) -> String? {
        writeError(prompt)
        guard tcgetattr(STDIN_FILENO, &terminalBeforePrompt) == 0 else { return readLine(strippingNewline: true) }
        var previousActions: [(Int32, sigaction)] = []
        for signalNumber in interruptingSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = restoreTerminalAndReraise
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)  // 0x80000000 does not fit an Int32 as a value
            var previous = sigaction()
            if sigaction(signalNumber, &action, &previous) == 0 { previousActions.append((signalNumber, previous)) }
        }
        var silent = terminalBeforePrompt
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &terminalBeforePrompt)
            for (signalNumber, var previous) in previousActions { sigaction(signalNumber, &previous, nil) }
            writeError("\n")
        }
        return readLine(strippingNewline: true)
    }

    private static let interruptingSignals = [SIGINT, SIGQUIT, SIGTERM, SIGHUP]
}

/// The terminal settings to put back if a signal ends the secret prompt. Written only before the
/// handlers are installed and read only by them, so the handler needs no lock.
nonisolated(unsafe) private var terminalBeforePrompt = termios()

/// Async-signal-safe: tcsetattr, then the default action (SA_RESETHAND restored it) by re-raising.
private let restoreTerminalAndReraise: @convention(c) (Int32) -> Void = { signalNumber in
    _ = tcsetattr(STDIN_FILENO, TCSANOW, &terminalBeforePrompt)
    raise(signalNumber)
}
