/// A fault the signing server injects, so that a client's error paths can be exercised.
public struct Fault: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// 429 with `{"message", "limit_label"}`, as EulerStream answers an exhausted quota.
        case rateLimit
        /// 500 with `{"message", "code"}`.
        case serverError
        /// The normal answer, after a delay.
        case slow(milliseconds: Int)
        /// `/webcast/fetch` answered with a small fallback-stub fetch result (about 272 bytes,
        /// a foreign `push_server`, no messages) instead of the recorded one.
        case stubFetch
    }

    public var kind: Kind
    /// How many requests it applies to (the first ones); nil for every request.
    public var count: Int?

    public init(kind: Kind, count: Int? = nil) {
        self.kind = kind
        self.count = count
    }

    /// Parses `rate-limit`, `server-error`, `slow=MS`, `stub-fetch`, each optionally followed
    /// by `:COUNT` (`rate-limit:2` answers the first two requests with 429).
    public init?(argument: String) {
        var text = Substring(argument)
        var count: Int?
        if let colon = text.lastIndex(of: ":") {
            guard let n = Int(text[text.index(after: colon)...]), n > 0 else { return nil }
            count = n
            text = text[..<colon]
        }
        switch text {
        case "rate-limit": kind = .rateLimit
        case "server-error": kind = .serverError
        case "stub-fetch": kind = .stubFetch
        default:
            guard text.hasPrefix("slow="), let ms = Int(text.dropFirst(5)), ms >= 0 else { return nil }
            kind = .slow(milliseconds: ms)
        }
        self.count = count
    }

    /// The accepted spellings, for help text.
    public static let syntax = "rate-limit | server-error | slow=MS | stub-fetch, each with an optional :COUNT"
}
