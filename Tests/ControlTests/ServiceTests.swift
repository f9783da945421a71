import Control
import Foundation
import Logging
import LogTestSupport
import Testing
import Varlink

@Suite("Control service: mapping, validation, authorization")
struct ServiceTests {
    let backend = FakeBackend()
    let logs = LogCapture()

    private func service(_ authorizer: Authorizer = Authorizer(privilegedUserIDs: [0], groupID: 4242)) -> VarlinkService {
        ControlInterface.service(backend: backend, authorizer: authorizer, logger: logs.logger, version: "0.1-test")
    }

    private func call(_ method: String, _ parameters: String = "{}", more: Bool = false, peer: VarlinkPeer = strangerPeer,
                      authorizer: Authorizer = Authorizer(privilegedUserIDs: [0], groupID: 4242)) async -> [VarlinkService.Reply] {
        let message = #"{"method":"io.tributary.Datastores.\#(method)","parameters":\#(parameters)\#(more ? #","more":true"# : "")}"#
        return await service(authorizer).call(message: message, peer: peer) ?? []
    }

    private func error(_ replies: [VarlinkService.Reply]) -> VarlinkError? {
        guard replies.count == 1, case .error(let error) = replies[0] else { return nil }
        return error
    }

    private func parameters(_ replies: [VarlinkService.Reply]) -> JSONValue? {
        guard replies.count == 1, case .parameters(let value, continues: false) = replies[0] else { return nil }
        return value
    }

    @Test("Reads are open to anyone; replies carry the DTOs under the IDL's names")
    func reads() async throws {
        let list = try #require(parameters(await call("List")))
        #expect(list["datastores"]?.arrayValue?.first?["name"] == .string("handbook"))
        #expect(list["datastores"]?.arrayValue?.first?["pages"]?["indexed"] == .integer(40))

        let search = try #require(parameters(await call("Search", #"{"name":"handbook","query":"expense"}"#)))
        #expect(search["results"]?.arrayValue?.count == 2)
        #expect(search["results"]?.arrayValue?.first?["anchor"] == .string("receipts"))
        #expect(await backend.lastSearch?.limit == ControlInterface.defaultSearchLimit)

        let health = try #require(parameters(await call("Health")))
        #expect(health["health"]?["status"] == .string("ok"))
        let credits = try #require(parameters(await call("Credits", #"{"recent":5}"#)))
        #expect(credits["credits"]?["balanceMillicredits"] == .integer(100_000))
        let explained = try #require(parameters(await call("Explain", #"{"name":"handbook","pageId":"101"}"#)))
        #expect(explained["page"]?["disposition"] == .string("indexed"))
    }

    @Test("Get returns the configuration without the token, saying one is stored")
    func getHidesToken() async throws {
        let details = try #require(parameters(await call("Get", #"{"name":"handbook"}"#)))
        #expect(details["status"]?["state"] == .string("ready"))
        #expect(details["config"]?["hasToken"] == .bool(true))
        #expect(details["config"]?["token"] == nil)
        #expect(!"\(details)".contains("stored-secret"))
    }

    @Test("Backend errors become typed errors with a description")
    func typedErrors() async {
        let missing = error(await call("Get", #"{"name":"nope"}"#))
        #expect(missing?.name == "io.tributary.Datastores.NoSuchDatastore")
        #expect(missing?.parameters["name"] == .string("nope"))
        #expect(missing?.parameters["description"]?.stringValue?.contains("nope") == true)

        let page = error(await call("Explain", #"{"name":"handbook","pageId":"9"}"#))
        #expect(page?.name == "io.tributary.Datastores.NoSuchPage")
        #expect(page?.parameters["pageId"] == .string("9"))

        let root = VarlinkPeer(processID: 1, userID: 0, groupID: 0, supplementaryGroups: [])
        let badToken = error(await call("Create", #"{"config":{"name":"new","url":"https://x","email":"a@b","token":"bad"}}"#, peer: root))
        #expect(badToken?.name == "io.tributary.Datastores.AuthenticationFailed")
        #expect(badToken?.parameters["description"]?.stringValue?.contains("401") == true)

        let exists = error(await call("Create", #"{"config":{"name":"handbook","url":"https://x","token":"good-token"}}"#, peer: root))
        #expect(exists?.name == "io.tributary.Datastores.DatastoreExists")
    }

    @Test("Values the types allow but the contract does not are InvalidParameter with a description")
    func validation() async {
        let root = VarlinkPeer(processID: 1, userID: 0, groupID: 0, supplementaryGroups: [])
        let cases: [(String, String, String)] = [
            ("Search", #"{"name":"handbook","query":"x","limit":0}"#, "limit"),
            ("Search", #"{"name":"handbook","query":"x","limit":101}"#, "limit"),
            ("Search", #"{"name":"handbook","query":"  "}"#, "query"),
            ("Credits", #"{"recent":-1}"#, "recent"),
            ("AddCredits", #"{"millicredits":0}"#, "millicredits"),
            ("Create", #"{"config":{"name":"n","url":"https://x","auth":"password"}}"#, "config.auth"),
            ("Create", #"{"config":{"name":"","url":"https://x"}}"#, "config.name"),
            ("SetCreditPolicy", #"{"policy":{"autoTopOffAmountMillicredits":-5}}"#, "policy.autoTopOffAmountMillicredits"),
        ]
        for (method, parameters, parameter) in cases {
            let failure = error(await call(method, parameters, peer: root))
            #expect(failure?.name == "io.tributary.Datastores.InvalidParameter", "\(method) \(parameters)")
            #expect(failure?.parameters["parameter"] == .string(parameter), "\(method) \(parameters)")
            #expect(failure?.parameters["description"]?.stringValue?.isEmpty == false)
        }
        // Wrong types are the standard error, naming the member.
        #expect(error(await call("Search", #"{"name":"handbook","query":5}"#)) == .invalidParameter("query"))
        #expect(error(await call("Create", #"{"config":{"name":"n"}}"#, peer: root)) == .invalidParameter("config.url"))
        #expect(error(await call("AddCredits", #"{"millicredits":"5"}"#, peer: root)) == .invalidParameter("millicredits"))
    }

    @Test("A caller outside root, the daemon's uid and the group is refused every mutation; the backend is not called")
    func refusesStrangers() async {
        let mutations: [(String, String)] = [
            ("Create", #"{"config":{"name":"x","url":"https://x","token":"good-token"}}"#),
            ("Update", #"{"name":"handbook","changes":{"token":"t2"}}"#),
            ("Delete", #"{"name":"handbook"}"#), ("Resync", #"{"name":"handbook"}"#),
            ("Pause", #"{"name":"handbook"}"#), ("Resume", #"{"name":"handbook"}"#),
            ("AddCredits", #"{"millicredits":1000}"#), ("SetCreditPolicy", #"{"policy":{"autoTopOffEnabled":true}}"#),
            ("CreateMcpKey", #"{"label":"laptop"}"#), ("RevokeMcpKey", #"{"label":"laptop"}"#),
        ]
        #expect(mutations.map(\.0).sorted() == ControlInterface.mutatingMethods.sorted())
        for (method, parameters) in mutations {
            let refused = error(await call(method, parameters))
            #expect(refused?.name == "io.tributary.Datastores.PermissionDenied", "\(method)")
            #expect(refused?.parameters["description"]?.stringValue?.contains("tributary") == true)
        }
        #expect(await backend.calls.allSatisfy { $0.caller == nil })
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.count == mutations.count)
        #expect(warnings.allSatisfy { $0.metadata["uid"] == "1000" && $0.metadata["pid"] == "4242" })
    }

    @Test("Group members (primary or supplementary), root and the daemon's uid may mutate")
    func admitsMembers() async {
        let authorizer = Authorizer(privilegedUserIDs: [0, 998], groupID: 4242)
        let peers = [
            VarlinkPeer(processID: 10, userID: 1000, groupID: 4242, supplementaryGroups: []),
            VarlinkPeer(processID: 11, userID: 1001, groupID: 1001, supplementaryGroups: [27, 4242]),
            VarlinkPeer(processID: 12, userID: 0, groupID: 0, supplementaryGroups: []),
            VarlinkPeer(processID: 13, userID: 998, groupID: 998, supplementaryGroups: []),
        ]
        for peer in peers {
            #expect(authorizer.mayMutate(peer))
            let replies = await call("Pause", #"{"name":"handbook"}"#, peer: peer, authorizer: authorizer)
            #expect(parameters(replies)?["status"]?["state"] == .string("paused"))
        }
        #expect(!authorizer.mayMutate(strangerPeer))
        #expect(!Authorizer(privilegedUserIDs: [0], groupID: nil).mayMutate(strangerPeer))
        let callers = await backend.calls.compactMap(\.caller)
        #expect(callers.map(\.pid) == [10, 11, 12, 13])
        #expect(callers[1] == ControlCaller(uid: 1001, gid: 1001, pid: 11))
    }

    @Test("Mutations are logged with uid, pid and datastore, never with the token")
    func mutationLog() async {
        let root = VarlinkPeer(processID: 77, userID: 0, groupID: 0, supplementaryGroups: [])
        _ = await call("Create", #"{"config":{"name":"new","url":"https://x","email":"a@b","token":"good-token"}}"#, peer: root)
        _ = await call("Update", #"{"name":"new","changes":{"token":"rotated-secret"}}"#, peer: root)
        _ = await call("Delete", #"{"name":"missing"}"#, peer: root)
        let notices = logs.all.filter { $0.level == .notice }
        #expect(notices.count == 3)
        #expect(notices.allSatisfy { $0.metadata["uid"] == "0" && $0.metadata["pid"] == "77" })
        #expect(notices.map { $0.metadata["datastore"] } == ["new", "new", "missing"])
        #expect(notices.last?.metadata["error"] == "io.tributary.Datastores.NoSuchDatastore")
        #expect(logs.all.allSatisfy { !$0.text.contains("good-token") && !$0.text.contains("rotated-secret") })
        #expect(await backend.specs["new"]?.token == "rotated-secret")
    }

    @Test("Watch needs more; with it, the current status comes first, then every published change")
    func watch() async throws {
        #expect(error(await call("Watch", #"{"name":"handbook"}"#)) == .expectedMore)
        #expect(error(await call("Watch", #"{"name":"nope"}"#, more: true))?.name == "io.tributary.Datastores.NoSuchDatastore")
        await backend.setWatchScript([FakeBackend.status("handbook", state: "processing", indexed: 45)])
        let service = service()
        let watching = Task {
            await service.call(message: #"{"method":"io.tributary.Datastores.Watch","parameters":{"name":"handbook"},"more":true}"#,
                               peer: strangerPeer) ?? []
        }
        #expect(await eventually { await backend.watcherCount == 1 })
        let root = VarlinkPeer(processID: 1, userID: 0, groupID: 0, supplementaryGroups: [])
        _ = await call("Delete", #"{"name":"handbook"}"#, peer: root)
        let replies = await watching.value
        #expect(replies.count == 3)
        guard replies.count == 3 else { return }
        #expect(replies[0] == .parameters(.object(["status": try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(FakeBackend.status("handbook", state: "ready")))]), continues: true))
        if case .parameters(let second, continues: true) = replies[1] {
            #expect(second["status"]?["state"] == .string("processing"))
        } else {
            Issue.record("second reply: \(replies[1])")
        }
        #expect(error([replies[2]])?.name == "io.tributary.Datastores.NoSuchDatastore")
    }
}
