import FakeConfluenceSupport
import Foundation
import HTTP
import Testing
@testable import Confluence

@Suite("Auth and visibility errors say what to check, never the token")
struct AuthErrorTests {
    static let email = "owner@example.com"
    static let token = "ATATT-correct-token-123456"
    static let wrong = "ATATT-wrong-token-654321"

    func open(_ fake: FakeConfluence, key: String, credentials: ConfluenceCredentials) async -> ConfluenceError? {
        do {
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/\(key)")
            _ = try await ConfluenceClient.connect(to: location, credentials: credentials, governor: RateGovernor(configuration: .fast()))
            return nil
        } catch {
            return error
        }
    }

    @Test func cloudFailures() async throws {
        let args = ["--generate", "10", "--sample", "--hidden-space", "HB", "--email", Self.email, "--token", Self.token]
        try await FakeConfluence.with(args) { fake in
            let secrets = [Self.token, Self.wrong, basicBlob(Self.email, Self.token), basicBlob(Self.email, Self.wrong)]

            let bad = try #require(await open(fake, key: "GEN", credentials: .apiToken(email: Self.email, token: Self.wrong)))
            #expect(bad.kind == .badCredentials)
            #expect(bad.message.contains("API token") && bad.message.contains(Self.email))
            #expect(!leaks(bad.message, secrets))

            let hidden = try #require(await open(fake, key: "HB", credentials: .apiToken(email: Self.email, token: Self.token)))
            #expect(hidden.kind == .spaceNotFound)
            #expect(hidden.message.contains("not found") && hidden.message.contains("not allowed to see"))
            #expect(!leaks(hidden.message, secrets))

            let missing = try #require(await open(fake, key: "NOPE", credentials: .apiToken(email: Self.email, token: Self.token)))
            #expect(missing.kind == .spaceNotFound)
            #expect(missing.message.contains("“NOPE”"))

            let anonymous = try #require(await open(fake, key: "GEN", credentials: .anonymous))
            #expect(anonymous.kind == .spaceNotFound)
            #expect(anonymous.message.contains("No credentials"))

            try await fake.setFaults(#"{"scopedTokenMismatch": true}"#)
            let scope = try #require(await open(fake, key: "GEN", credentials: .apiToken(email: Self.email, token: Self.token)))
            #expect(scope.kind == .insufficientPermission)
            #expect(scope.message.contains("scope"))
            #expect(!leaks(scope.message, secrets))
        }
    }

    @Test func dataCenterWrongTokenLooksAnonymous() async throws {
        let pat = "NjQ4MzE2-dc-personal-access-token"
        let args = ["--mode", "dc", "--generate", "10", "--pat", pat, "--email", "admin", "--token", "dc-password-1"]
        try await FakeConfluence.with(args) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/display/GEN")
            let governor = RateGovernor(configuration: .fast())
            func attempt(_ credentials: ConfluenceCredentials) async -> ConfluenceError? {
                do {
                    _ = try await ConfluenceClient.connect(to: location, credentials: credentials, governor: governor)
                    return nil
                } catch {
                    return error
                }
            }
            #expect(await attempt(.personalAccessToken(pat)) == nil)

            let wrongPAT = try #require(await attempt(.personalAccessToken("wrong-" + pat)))
            #expect(wrongPAT.kind == .spaceNotFound)
            #expect(wrongPAT.message.contains("personal access token"))
            #expect(!wrongPAT.message.contains(pat))

            let wrongPassword = try #require(await attempt(.basic(username: "admin", password: "not-the-password")))
            #expect(wrongPassword.kind == .badCredentials)
            #expect(!wrongPassword.message.contains("not-the-password"))
            #expect(!leaks(wrongPassword.message, [basicBlob("admin", "not-the-password")]))
        }
    }

    @Test func descriptionsOfCredentialsHideSecrets() {
        let all: [ConfluenceCredentials] = [
            .apiToken(email: "a@b.c", token: "tok-secret"), .personalAccessToken("pat-secret"),
            .basic(username: "u", password: "pw-secret"), .anonymous,
        ]
        for credentials in all {
            #expect(!String(describing: credentials).contains("secret"))
        }
    }
}
