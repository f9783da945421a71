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
    static func readSecret(prompt: String) -> String? {
        writeError(prompt)
        var original = termios()
        let canRestore = tcgetattr(STDIN_FILENO, &original) == 0
        if canRestore {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        }
        defer {
            if canRestore { _ = tcsetattr(STDIN_FILENO, TCSANOW, &original) }
            writeError("\n")
        }
        return readLine(strippingNewline: true)
    }
}
