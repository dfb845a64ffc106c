import Tape

/// Which parts of a request decide whether it matches a recorded one.
///
/// Method and path are always compared. Query items are compared per key (the ordered list of
/// values under that key); a JSON-object body is compared per top-level key (the value's
/// canonical JSON). Any other body is compared byte for byte (as text when it holds redaction
/// placeholders, see `redactedMatchesAny`). Headers are never compared.
public struct MatchRules: Sendable, Hashable {
    /// A set of keys to compare. Key names are compared ASCII case-insensitively.
    public enum Keys: Sendable, Hashable {
        /// Every key except these.
        case allExcept(Set<String>)
        /// Only these keys.
        case only(Set<String>)

        /// Whether `key` takes part in matching.
        public func includes(_ key: String) -> Bool {
            switch self {
            case .allExcept(let keys): !keys.contains { asciiEqualFolded($0, key) }
            case .only(let keys): keys.contains { asciiEqualFolded($0, key) }
            }
        }
    }

    /// Query keys to compare.
    public var query: Keys
    /// Top-level JSON body keys to compare.
    public var body: Keys
    /// When true, a tape redaction placeholder (`<redacted:NAME:N>`) in a recorded value stands
    /// for the secret that was never written to the tape: a recorded value that is one matches
    /// any received value, and one inside a recorded value (a URL in a JSON string, a form body)
    /// matches any text in its place.
    public var redactedMatchesAny: Bool

    public init(query: Keys = .allExcept(MatchRules.volatileQueryKeys),
                body: Keys = .allExcept(MatchRules.volatileBodyKeys),
                redactedMatchesAny: Bool = true) {
        self.query = query
        self.body = body
        self.redactedMatchesAny = redactedMatchesAny
    }

    /// The defaults: every key except the volatile ones; redaction placeholders match anything.
    public static let `default` = MatchRules()

    /// Query keys whose values change between two runs of the same client against the same
    /// room, so they never decide a match: request signatures and anti-bot tokens (`X-Bogus`,
    /// `_signature`, `signature`, `msToken`, `verifyFp`), the random `last_rtt`, timestamps
    /// (`ts`, `timestamp`), the API key (`apiKey`, a secret that tapes redact) and the browser
    /// `user_agent`, which clients pick at random per run (`tiktoklive` does).
    ///
    /// Deliberately compared: `room_id`/`unique_id`, `client`, `cursor` (absent on the first
    /// fetch; later ones echo recorded responses, so a replay reproduces them), `client_enter`,
    /// `platform`, `country`, `tt_target_idc`.
    public static let volatileQueryKeys: Set<String> = [
        "X-Bogus", "_signature", "signature", "msToken", "verifyFp",
        "last_rtt", "ts", "timestamp", "apiKey", "user_agent",
    ]

    /// Top-level JSON body keys that never decide a match: the query ones, plus the session
    /// cookies `sessionId` and `ttwid` of `POST /webcast/sign_url` (per-login / per-visit
    /// values, redacted in tapes) and its `userAgent`. `url` is compared: it names the room.
    /// WebSocket handshake query keys that describe the client's browser, which clients fill
    /// in at random per run (`tiktoklive` does): never reported as handshake differences.
    public static let fingerprintQueryKeys: Set<String> = [
        "app_language", "webcast_language", "browser_language", "browser_name", "browser_online",
        "browser_platform", "browser_version", "screen_height", "screen_width", "tz_name",
        "focus_state", "is_page_visible", "is_fullscreen", "cookie_enabled",
    ]

    /// These rules with `keys` left out of query and body comparisons.
    public func ignoring(_ keys: Set<String>) -> MatchRules {
        func drop(_ selection: Keys) -> Keys {
            switch selection {
            case .allExcept(let ignored): .allExcept(ignored.union(keys))
            case .only(let compared): .only(compared.filter { key in !keys.contains { asciiEqualFolded($0, key) } })
            }
        }
        return MatchRules(query: drop(query), body: drop(body), redactedMatchesAny: redactedMatchesAny)
    }

    public static let volatileBodyKeys: Set<String> = volatileQueryKeys.union(["sessionId", "ttwid", "userAgent"])
}

func asciiEqualFolded(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8) { x, y in
        (x >= 0x41 && x <= 0x5A ? x | 0x20 : x) == (y >= 0x41 && y <= 0x5A ? y | 0x20 : y)
    }
}

/// Whether a recorded value matches a received one: equal, or, with `redactedMatchesAny`, equal
/// but for the redaction placeholders in the recorded value. A recorded value that is exactly a
/// placeholder, bare (a query value) or as a JSON string (a body value), matches anything.
func recordedValue(_ recorded: String, matches received: String, rules: MatchRules) -> Bool {
    guard recorded != received else { return true }
    guard rules.redactedMatchesAny else { return false }
    var bare = Substring(recorded)
    if bare.count >= 2, bare.hasPrefix("\""), bare.hasSuffix("\"") { bare = bare.dropFirst().dropLast() }
    return Redactor.isPlaceholder(String(bare)) || Redactor.matches(received, pattern: recorded)
}
