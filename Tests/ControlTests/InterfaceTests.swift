import Control
import Foundation
import LogTestSupport
import Testing
import Varlink

@Suite("io.tributary.Datastores contract")
struct InterfaceTests {
    @Test("The served description is byte for byte the .varlink file")
    func embeddedMatchesFile() throws {
        let file = Paths.repositoryRoot.appendingPathComponent("Sources/Control/io.tributary.Datastores.varlink")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == ControlInterface.description,
                "update Sources/Control/ControlInterfaceDescription.swift to match io.tributary.Datastores.varlink")
    }

    @Test("The PyPI varlink parser accepts the IDL and finds every method and error")
    func pythonParses() async throws {
        let python = try Paths.pythonWithVarlink()
        let script = """
            import sys, varlink
            interface = varlink.Interface(open(sys.argv[1]).read())
            print(interface.name)
            print(" ".join(sorted(name for name, member in interface.members.items() if type(member).__name__ == "_Method")))
            print(" ".join(sorted(name for name, member in interface.members.items() if type(member).__name__ == "_Error")))
            """
        let file = Paths.repositoryRoot.appendingPathComponent("Sources/Control/io.tributary.Datastores.varlink").path
        let result = try await runAsync(python, ["-c", script, file])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == ControlInterface.name)
        #expect(lines.count == 3)
        let methods = Set(lines.dropFirst().first?.split(separator: " ").map(String.init) ?? [])
        #expect(methods == [
            "AddCredits", "Ask", "Create", "CreateMcpKey", "Credits", "Delete", "Explain", "Get", "Health", "List",
            "ListMcpKeys", "Pause", "ReadPage", "Resume", "Resync", "RevokeMcpKey", "Search", "SetCreditPolicy", "Update",
            "Watch",
        ])
        let errors = Set(lines.last?.split(separator: " ").map(String.init) ?? [])
        #expect(errors == [
            "AuthenticationFailed", "DatastoreExists", "InsufficientCredits", "InternalError", "InvalidParameter",
            "KeyExists", "NoSuchDatastore", "NoSuchKey", "NoSuchPage", "NoSuchSection", "NotReady", "PermissionDenied",
        ])
    }

    @Test("Every method the IDL declares has a handler, and every mutation is marked as one")
    func everyMethodHandled() {
        let interface = ControlInterface.make(
            backend: FakeBackend(), authorizer: Authorizer(privilegedUserIDs: [], groupID: nil), logger: LogCapture().logger)
        #expect(Set(interface.methods.keys) == interface.declaredMethods)
        #expect(ControlInterface.mutatingMethods.isSubset(of: interface.declaredMethods))
    }

    @Test("Credit amounts parse exactly with up to three decimals and format back")
    func creditAmounts() {
        #expect(CreditAmount.parse("12.345") == 12_345)
        #expect(CreditAmount.parse("12.5") == 12_500)
        #expect(CreditAmount.parse("7") == 7_000)
        #expect(CreditAmount.parse("0.001") == 1)
        for bad in ["", "1.2345", "-1", "1.", ".5", "1e3", "abc", "99999999999999999999", "１"] {
            #expect(CreditAmount.parse(bad) == nil, "\(bad)")
        }
        #expect(CreditAmount.format(12_345) == "12.345")
        #expect(CreditAmount.format(12_500) == "12.5")
        #expect(CreditAmount.format(7_000) == "7")
        #expect(CreditAmount.format(-3) == "-0.003")
        for value: Int64 in [0, 1, 10, 999, 1000, 123_456_789] {
            #expect(CreditAmount.parse(CreditAmount.format(value)) == value)
        }
    }
}
