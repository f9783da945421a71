import Foundation
import Testing
@testable import Varlink

@Suite("Varlink service dispatch")
struct ServiceTests {
    let service = TestInterface.service(probe: Probe())

    private func call(_ message: String) async -> [VarlinkService.Reply]? {
        await service.call(message: message, peer: anyPeer)
    }

    @Test("GetInfo lists org.varlink.service and the registered interfaces")
    func getInfo() async throws {
        let replies = try #require(await call(#"{"method":"org.varlink.service.GetInfo"}"#))
        guard case .parameters(let info, continues: false) = try #require(replies.first) else {
            Issue.record("no reply: \(replies)")
            return
        }
        #expect(info["vendor"] == .string("Example"))
        #expect(info["product"] == .string("test"))
        #expect(info["interfaces"] == .array([.string("org.varlink.service"), .string("org.example.test")]))
    }

    @Test("GetInterfaceDescription serves the IDL verbatim, and the standard one for org.varlink.service")
    func interfaceDescription() async throws {
        let own = await call(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"org.example.test"}}"#)
        #expect(own == [.parameters(.object(["description": .string(TestInterface.description)]), continues: false)])
        let standard = await call(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"org.varlink.service"}}"#)
        #expect(standard?.first.map { "\($0)".contains("interface org.varlink.service") } == true)
        let missing = await call(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"org.nope"}}"#)
        #expect(missing == [.error(.interfaceNotFound("org.nope"))])
        let wrongType = await call(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":7}}"#)
        #expect(wrongType == [.error(.invalidParameter("interface"))])
    }

    @Test("Unknown interfaces, methods and declared-but-unhandled methods get their standard errors")
    func unknownNames() async {
        #expect(await call(#"{"method":"org.nope.Thing"}"#) == [.error(.interfaceNotFound("org.nope"))])
        #expect(await call(#"{"method":"org.example.test.Nope"}"#) == [.error(.methodNotFound("org.example.test.Nope"))])
        #expect(await call(#"{"method":"org.example.test.Declared"}"#) == [.error(.methodNotImplemented("org.example.test.Declared"))])
        #expect(await call(#"{"method":"NoDots"}"#) == [.error(.methodNotFound("NoDots"))])
        #expect(await call(#"{"method":"org.varlink.service.Nope"}"#) == [.error(.methodNotFound("org.varlink.service.Nope"))])
    }

    @Test("Wrong or missing parameter types are InvalidParameter naming the parameter")
    func wrongTypes() async {
        #expect(await call(#"{"method":"org.example.test.Add","parameters":{"a":1,"b":"2"}}"#) == [.error(.invalidParameter("b"))])
        #expect(await call(#"{"method":"org.example.test.Add","parameters":{"a":1}}"#) == [.error(.invalidParameter("b"))])
        #expect(await call(#"{"method":"org.example.test.Add","parameters":{"a":1,"b":2}}"#)
            == [.parameters(.object(["sum": .integer(3)]), continues: false)])
        #expect(await call(#"{"method":"org.example.test.Add","parameters":"x"}"#) == [.error(.invalidParameter("parameters"))])
    }

    @Test("Malformed headers: bad member types are InvalidParameter; non-objects break the protocol")
    func malformed() async {
        #expect(await call(#"{"parameters":{}}"#) == [.error(.invalidParameter("method"))])
        #expect(await call(#"{"method":5}"#) == [.error(.invalidParameter("method"))])
        #expect(await call(#"{"method":"org.example.test.Echo","more":"yes"}"#) == [.error(.invalidParameter("more"))])
        #expect(await call(#"{"method":"org.example.test.Echo","upgrade":true,"parameters":{"text":"x"}}"#)
            == [.error(.invalidParameter("upgrade"))])
        #expect(await call("[1,2,3]") == nil)
        #expect(await call("\"text\"") == nil)
        #expect(await call("{not json") == nil)
        #expect(await call("") == nil)
    }

    @Test("more streams continues:true replies then a final one; without more a stream is ExpectedMore")
    func streaming() async {
        let replies = await call(#"{"method":"org.example.test.Count","more":true,"parameters":{"to":3}}"#)
        #expect(replies == [
            .parameters(.object(["n": .integer(1)]), continues: true),
            .parameters(.object(["n": .integer(2)]), continues: true),
            .parameters(.object(["n": .integer(3)]), continues: false),
        ])
        #expect(await call(#"{"method":"org.example.test.Count","parameters":{"to":3}}"#) == [.error(.expectedMore)])
        #expect(await call(#"{"method":"org.example.test.Count","parameters":{"to":1}}"#)
            == [.parameters(.object(["n": .integer(1)]), continues: false)])
    }

    @Test("oneway calls run but send nothing, not even errors")
    func oneway() async {
        #expect(await call(#"{"method":"org.example.test.Echo","oneway":true,"parameters":{"text":"x"}}"#) == [])
        #expect(await call(#"{"method":"org.example.test.Nope","oneway":true}"#) == [])
    }
}
