import JSONKit
import Tape

/// Finds the recorded HTTP exchange that answers an incoming request.
///
/// Built from the `http` records of a tape. A request matches a recorded exchange when method,
/// path and every key selected by `rules` are equal (see `MatchRules`). When several recorded
/// exchanges match the same request (a client that asked the same thing more than once), the
/// matcher hands them out in recorded order, one per call; once all were served, **the last one
/// is served again on every further call** (`Match.isRepeat` tells). Each distinct set of
/// matching exchanges keeps its own cursor. A request that matches nothing yields a
/// `NearMiss` naming the closest recorded request and what differed.
///
/// A value type: `match` mutates the cursors. Share it between tasks behind an actor or lock.
public struct ExchangeMatcher: Sendable {
    /// The recorded exchanges, in tape order. `Match.recordIndex` indexes this array.
    public let exchanges: [HTTPExchange]
    public let rules: MatchRules
    private let recorded: [NormalizedRequest]
    /// Calls served so far, keyed by the list of matching exchange indices.
    private var cursors: [[Int]: Int] = [:]

    /// A matcher over `exchanges`, in recorded order.
    public init(exchanges: [HTTPExchange], rules: MatchRules = .default) {
        self.exchanges = exchanges
        self.rules = rules
        self.recorded = exchanges.map { NormalizedRequest(IncomingRequest($0.request)) }
    }

    /// A matcher over the `http` records among `records`; other kinds are skipped.
    public init(records: some Sequence<TapeRecord>, rules: MatchRules = .default) {
        self.init(exchanges: records.compactMap { if case .http(let e) = $0 { e } else { nil } }, rules: rules)
    }

    /// A matcher over the `http` records of the tape at `path`. Throws the first tape error
    /// (bad header or bad record): a mock must not silently drop recorded answers.
    public init(tapeAt path: String, rules: MatchRules = .default) throws(TapeError) {
        var records: [TapeRecord] = []
        for entry in try TapeReader(path: path) {
            switch entry.result {
            case .success(let record): records.append(record)
            case .failure(let error): throw error
            }
        }
        self.init(records: records, rules: rules)
    }

    /// Rewinds every cursor: the next request gets the first matching exchange again.
    public mutating func reset() {
        cursors = [:]
    }

    /// The answer to `request`: the next matching recorded exchange, or a near miss.
    public mutating func match(_ request: IncomingRequest) -> MatchResult {
        let received = NormalizedRequest(request)
        var candidates: [Int] = []
        var best: (index: Int, samePath: Bool, differences: [Difference])?
        for (index, entry) in recorded.enumerated() {
            let differences = entry.differences(to: received, rules: rules)
            if differences.isEmpty {
                candidates.append(index)
                continue
            }
            guard candidates.isEmpty else { continue }
            let samePath = entry.path == received.path
            if let current = best {
                // Same path first, then fewest differences; the earliest recording wins ties.
                let better = samePath != current.samePath
                    ? samePath
                    : differences.count < current.differences.count
                if !better { continue }
            }
            best = (index, samePath, differences)
        }
        if !candidates.isEmpty {
            let served = cursors[candidates, default: 0]
            cursors[candidates] = served + 1
            let index = served < candidates.count ? candidates[served] : candidates[candidates.count - 1]
            return .matched(Match(exchange: exchanges[index], recordIndex: index, occurrence: served, candidates: candidates.count))
        }
        let closest = best.map { ClosestRequest(recordIndex: $0.index, method: exchanges[$0.index].request.method, url: exchanges[$0.index].request.url) }
        return .nearMiss(NearMiss(method: request.method, path: request.path, closest: closest, differences: best?.differences ?? []))
    }
}

/// What `ExchangeMatcher.match` found.
public enum MatchResult: Sendable, Hashable {
    /// A recorded exchange answers the request.
    case matched(Match)
    /// Nothing matched; the closest recorded request and how it differed.
    case nearMiss(NearMiss)
}

/// A recorded exchange chosen for a request.
public struct Match: Sendable, Hashable {
    /// The recorded exchange to replay (its `response` may be nil when the recording failed).
    public var exchange: HTTPExchange
    /// Index of `exchange` in `ExchangeMatcher.exchanges`.
    public var recordIndex: Int
    /// 0-based number of earlier calls answered from the same matching exchanges.
    public var occurrence: Int
    /// How many recorded exchanges match this request.
    public var candidates: Int

    public init(exchange: HTTPExchange, recordIndex: Int, occurrence: Int, candidates: Int) {
        self.exchange = exchange
        self.recordIndex = recordIndex
        self.occurrence = occurrence
        self.candidates = candidates
    }

    /// True when every matching exchange was served before and the last one is repeated.
    public var isRepeat: Bool { occurrence >= candidates }
}

/// The recorded request closest to an unmatched one.
public struct ClosestRequest: Sendable, Hashable {
    /// Index in `ExchangeMatcher.exchanges`.
    public var recordIndex: Int
    public var method: String
    /// The full recorded URL.
    public var url: String

    public init(recordIndex: Int, method: String, url: String) {
        self.recordIndex = recordIndex
        self.method = method
        self.url = url
    }
}

/// One way an incoming request differs from a recorded one.
public struct Difference: Sendable, Hashable {
    /// The part of the request that differs.
    public enum Field: Sendable, Hashable {
        case method
        case path
        /// A query key.
        case query(String)
        /// A top-level key of a JSON-object body.
        case bodyKey(String)
        /// A body that is not a JSON object on at least one side, compared as bytes.
        case body

        /// `method`, `path`, `query.KEY`, `body.KEY` or `body`.
        public var name: String {
            switch self {
            case .method: "method"
            case .path: "path"
            case .query(let key): "query.\(key)"
            case .bodyKey(let key): "body.\(key)"
            case .body: "body"
            }
        }
    }

    public var field: Field
    /// The recorded values: empty when the key was absent, several for a repeated query key.
    /// Body keys hold the value's canonical JSON (so `"1"` and `1` differ); `.body` holds the
    /// text, or `<N bytes>` when it is not printable UTF-8 or longer than 1 KiB.
    public var recorded: [String]
    /// The received values, in the same form as `recorded`.
    public var received: [String]

    public init(field: Field, recorded: [String], received: [String]) {
        self.field = field
        self.recorded = recorded
        self.received = received
    }
}

/// Why a request matched no recording, for an HTTP error body and a log line.
public struct NearMiss: Sendable, Hashable {
    /// The received method and path.
    public var method: String
    public var path: String
    /// The closest recorded request (same path first, then fewest differences); nil when the
    /// tape has no HTTP exchanges.
    public var closest: ClosestRequest?
    /// How the received request differs from `closest`, in the order method, path, query keys,
    /// body keys.
    public var differences: [Difference]

    public init(method: String, path: String, closest: ClosestRequest?, differences: [Difference]) {
        self.method = method
        self.path = path
        self.closest = closest
        self.differences = differences
    }

    /// The near miss as JSON: `{"error", "request":{method, path}, "closest":{index, method,
    /// url}|null, "differences":[{field, recorded, received}]}`. A value is `null` when absent,
    /// a string when single, an array for a repeated query key.
    public var json: JSONValue {
        var request = JSONObjectBuilder()
        request.set("method", .string(method))
        request.set("path", .string(path))
        var object = JSONObjectBuilder()
        object.set("error", .string("no recorded exchange matches this request"))
        object.set("request", request.value)
        if let closest {
            var c = JSONObjectBuilder()
            c.set("index", .int(Int64(closest.recordIndex)))
            c.set("method", .string(closest.method))
            c.set("url", .string(closest.url))
            object.set("closest", c.value)
        } else {
            object.set("closest", .null)
        }
        object.set("differences", .array(differences.map { d in
            var entry = JSONObjectBuilder()
            entry.set("field", .string(d.field.name))
            entry.set("recorded", Self.jsonValues(d.recorded))
            entry.set("received", Self.jsonValues(d.received))
            return entry.value
        }))
        return object.value
    }

    /// `json` as canonical UTF-8 bytes, for an HTTP error response body.
    public var jsonBody: [UInt8] { CanonicalJSON.encode(json) }

    /// One log line (no newline), e.g. `no match for GET /webcast/fetch; closest #0 GET
    /// https://…: query.room_id recorded "1" received "2"`.
    public var logLine: String {
        var line = "no match for \(method) \(Self.quoted(path))"
        guard let closest else { return line + "; no recorded HTTP exchanges" }
        line += "; closest #\(closest.recordIndex) \(closest.method) \(Self.quoted(closest.url)): "
        line += differences.map { "\($0.field.name) recorded \(Self.text($0.recorded)) received \(Self.text($0.received))" }
            .joined(separator: ", ")
        return line
    }

    private static func jsonValues(_ values: [String]) -> JSONValue {
        switch values.count {
        case 0: .null
        case 1: .string(values[0])
        default: .array(values.map { .string($0) })
        }
    }

    private static func text(_ values: [String]) -> String {
        switch values.count {
        case 0: "(absent)"
        case 1: CanonicalJSON.string(.string(values[0]))
        default: "[" + values.map { CanonicalJSON.string(.string($0)) }.joined(separator: ",") + "]"
        }
    }

    /// `text` as a JSON string without quotes, so that control characters cannot split the line.
    private static func quoted(_ text: String) -> String {
        String(CanonicalJSON.string(.string(text)).dropFirst().dropLast())
    }
}

/// A request reduced to what matching compares.
struct NormalizedRequest: Sendable {

    var method: String
    var path: String
    /// Keys in first-appearance order, each with its values in order.
    var query: [(key: String, values: [String])]
    var body: [UInt8]
    /// When the body is a JSON object: top-level keys in order, each with its canonical JSON.
    var object: [(key: String, values: [String])]?

    init(_ request: IncomingRequest) {
        method = request.method.uppercased()
        path = request.path
        var query: [(key: String, values: [String])] = []
        var position: [String: Int] = [:]
        for item in request.query {
            if let i = position[item.name] {
                query[i].values.append(item.value)
            } else {
                position[item.name] = query.count
                query.append((item.name, [item.value]))
            }
        }
        self.query = query
        body = request.body.bytes
        if !body.isEmpty, let parsed = try? JSONParser.parse(body), case .object(let pairs) = parsed {
            object = pairs.map { (key: $0.0, values: [CanonicalJSON.string($0.1)]) }
        } else {
            object = nil
        }
    }

    /// How `received` differs from this recorded request under `rules`; empty when it matches.
    func differences(to received: NormalizedRequest, rules: MatchRules) -> [Difference] {
        var out: [Difference] = []
        if method != received.method {
            out.append(Difference(field: .method, recorded: [method], received: [received.method]))
        }
        if path != received.path {
            out.append(Difference(field: .path, recorded: [path], received: [received.path]))
        }
        for (key, recordedValues, receivedValues) in Self.union(query, received.query) where rules.query.includes(key) {
            if !Self.equal(recordedValues, receivedValues, rules: rules) {
                out.append(Difference(field: .query(key), recorded: recordedValues, received: receivedValues))
            }
        }
        if let a = object, let b = received.object {
            for (key, recordedValues, receivedValues) in Self.union(a, b) where rules.body.includes(key) {
                if !Self.equal(recordedValues, receivedValues, rules: rules) {
                    out.append(Difference(field: .bodyKey(key), recorded: recordedValues, received: receivedValues))
                }
            }
        } else if !Self.equalBodies(body, received.body, rules: rules) {
            out.append(Difference(field: .body, recorded: Self.describe(body), received: Self.describe(received.body)))
        }
        return out
    }

    /// Keys of both sides, recorded order first, then keys only received.
    private static func union(_ recorded: [(key: String, values: [String])], _ received: [(key: String, values: [String])])
        -> [(String, [String], [String])] {
        var out: [(String, [String], [String])] = []
        var seen = Set<String>()
        for (key, values) in recorded {
            seen.insert(key)
            out.append((key, values, received.first { $0.key == key }?.values ?? []))
        }
        for (key, values) in received where !seen.contains(key) {
            out.append((key, [], values))
        }
        return out
    }

    private static func equal(_ recorded: [String], _ received: [String], rules: MatchRules) -> Bool {
        recorded.count == received.count && zip(recorded, received).allSatisfy { recordedValue($0, matches: $1, rules: rules) }
    }

    /// Equal bytes, or text that matches as a value does (placeholders in a recorded form body).
    private static func equalBodies(_ recorded: [UInt8], _ received: [UInt8], rules: MatchRules) -> Bool {
        if recorded == received { return true }
        guard let recordedText = Body(recorded).text, let receivedText = Body(received).text else { return false }
        return recordedValue(recordedText, matches: receivedText, rules: rules)
    }

    private static func describe(_ bytes: [UInt8]) -> [String] {
        if bytes.isEmpty { return [] }
        let body = Body(bytes)
        if body.isStoredAsText, let text = body.text, bytes.count <= 1024 { return [text] }
        return ["<\(bytes.count) bytes>"]
    }
}
