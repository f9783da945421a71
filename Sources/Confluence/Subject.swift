/// What a request was about, so a failure can be explained in those terms.
enum Subject: Sendable {
    case space(key: String)
    case spaceId(String)
    case page(id: String)
    case pages(spaceKey: String?)
    case search
    case probe
}
