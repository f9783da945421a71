import Foundation
import Testing

/// `tributaryctl create` without `--token-file` on a terminal asks for the token with echo off.
/// A pseudo-terminal (Python's pty module) plays the person at the keyboard.
@Suite("The no-echo token prompt")
struct TokenPromptTests {
    /// Starts tributaryctl on a pty, waits for the prompt, records whether echo is off, types
    /// `keys`, and reports echo and how the process ended.
    private static let driver = #"""
        import os, pty, select, sys, termios, time
        ctl, keys = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode()
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(ctl, [ctl, "--socket", "/nonexistent/tributary.sock", "create", "x",
                           "--url", "https://example.atlassian.net/wiki/spaces/X", "--email", "a@example.com"])
        seen, deadline = b"", time.time() + 30
        while b"API token for x: " not in seen and time.time() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                seen += os.read(fd, 1024)
        time.sleep(0.2)
        echo_during = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        os.write(fd, keys)
        _, status = os.waitpid(pid, 0)
        echo_after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        rest = b""
        while select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            rest += chunk
        ended = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status)
        print("prompt=%s echo_during=%s echo_after=%s %s" % (b"API token for x: " in seen, echo_during, echo_after, ended))
        print(rest.decode(errors="replace"))
        """#

    private func drive(keys: String) async throws -> (summary: String, output: String) {
        let result = try await DaemonHarness.run(["/usr/bin/env", "python3", "-c", Self.driver, DaemonHarness.tributaryctl, keys])
        let lines = result.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
        return (lines.first ?? "", (lines.count > 1 ? lines[1] : "") + result.stderr)
    }

    @Test("Echo is off while the token is typed and back on after Enter; the token never shows")
    func enterRestoresEcho() async throws {
        let (summary, output) = try await drive(keys: "s3cret-token-value\\n")
        #expect(summary == "prompt=True echo_during=False echo_after=True exit 5", "\(summary) \(output)")
        #expect(output.contains("cannot reach tributaryd"), "\(output)")
        #expect(!output.contains("s3cret-token-value"))
    }

    @Test("Ctrl-C at the prompt puts echo back and still ends the process by SIGINT")
    func interruptRestoresEcho() async throws {
        let (summary, output) = try await drive(keys: "half-typed\\x03")
        #expect(summary == "prompt=True echo_during=False echo_after=True signal 2", "\(summary) \(output)")
        #expect(!output.contains("half-typed"))
    }
}
