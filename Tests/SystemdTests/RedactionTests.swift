import Logging
import Testing
import TributaryEvents

@Suite("Secret redaction")
struct RedactionTests {
    @Test(
        "Keys that name a secret are sensitive, keys that refer to one are not",
        arguments: [
            ("token", true), ("api_token", true), ("apiToken", true), ("X-Auth-Token", true), ("password", true),
            ("db_password", true), ("authorization", true), ("Authorization", true), ("cookie", true),
            ("client_secret", true), ("apiKey", true), ("api-key", true), ("private_key", true), ("pat", true),
            ("credentials", true), ("token_file", false), ("token_credential", false), ("tokens", false),
            ("datastore", false), ("page_id", false), ("auth", false), ("secret_name", false), ("pattern", false),
        ])
    func sensitiveKeys(key: String, sensitive: Bool) {
        #expect(SecretRedactor.isSensitiveKey(key) == sensitive)
    }

    @Test(
        "Credentials inside text are masked",
        arguments: [
            ("GET https://bot:hunter2pass@example.atlassian.net/wiki", "GET https://bot:<redacted>@example.atlassian.net/wiki"),
            ("retrying with token=abc123XYZ&limit=250", "retrying with token=<redacted>&limit=250"),
            (#"body {"api_token": "s3cr3t value", "limit": 5}"#, #"body {"api_token": "<redacted>", "limit": 5}"#),
            ("Authorization: Basic Ym90OnNlY3JldA==", "Authorization: Basic <redacted>"),
            ("sent header Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "sent header Bearer <redacted>"),
            ("password: hunter2", "password: <redacted>"),
            ("token ATATT3xFfGF0T4yJxkjQ_8mN2pL5vR7sW9", "token <redacted>"),
            ("cursor aB3dE5fG7hJ9kL1mN3pQ5rS7tU9 next", "cursor <redacted> next"),
        ])
    func maskedText(text: String, expected: String) {
        #expect(SecretRedactor.redact(text) == expected)
    }

    @Test(
        "Ordinary log text passes unchanged",
        arguments: [
            "datastore eng is ready: 1204 pages in 3m12s",
            "https://example.atlassian.net/wiki/spaces/ENG/pages/12345/Runbook-Database-Failover-2024",
            "body hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08c45c08d8a6",
            "message id 832501ee5bc142178fbc04b329889617, job 3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            "invalid token: expired", "Basic authentication failed for bot@example.com",
            "tokens=1200 credits=1.2", "token_credential = eng-token",
        ])
    func unchangedText(text: String) {
        #expect(SecretRedactor.redact(text) == text)
    }

    @Test("Metadata is masked by key, scanned by value, recursively")
    func metadata() {
        let metadata: Logger.Metadata = [
            "token": "short",
            "datastore": "eng",
            "request": ["authorization": "Basic abc", "url": "https://u:pw123456@host/x"],
            "attempts": ["1", "password=letmein1"],
            "wrapped": .stringConvertible(Redacted("s3cr3t")),
        ]
        let redacted = SecretRedactor.redact(metadata)
        #expect(redacted["token"] == .redacted)
        #expect(redacted["datastore"] == "eng")
        #expect(redacted["request"] == ["authorization": .redacted, "url": "https://u:<redacted>@host/x"])
        #expect(redacted["attempts"] == ["1", "password=<redacted>"])
        #expect(redacted["wrapped"] == .redacted)
    }

    @Test("Redacted hides its value from every textual form")
    func redactedWrapper() {
        let secret = Redacted("hunter2")
        #expect(secret.value == "hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(Logger.MetadataValue.stringConvertible(secret).description == "<redacted>")
    }

    @Test("Metadata keys split into words at punctuation and camel-case humps")
    func words() {
        #expect(MetadataKey.words(in: "pageId") == ["page", "id"])
        #expect(MetadataKey.words(in: "page-id") == ["page", "id"])
        #expect(MetadataKey.words(in: "page_id") == ["page", "id"])
        #expect(MetadataKey.words(in: "HTTPStatus") == ["http", "status"])
        #expect(MetadataKey.words(in: "pageID") == ["page", "id"])
        #expect(MetadataKey.words(in: "retry.after_s") == ["retry", "after", "s"])
        #expect(MetadataKey.words(in: "__") == [])
    }
}
