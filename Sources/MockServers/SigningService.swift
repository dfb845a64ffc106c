import Foundation
import JSONKit
import Synchronization
import Tape

/// An answer of the mock signing server.
public struct MockResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// How long to wait before answering (the `slow` fault).
    public var delayMilliseconds: Int

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], delayMilliseconds: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
    }

    /// A JSON answer.
    public static func json(_ status: Int, _ value: JSONValue) -> MockResponse {
        MockResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: CanonicalJSON.encode(value))
    }
}

/// Options of the mock signing server.
public struct SigningOptions: Sendable {
    /// Which request keys decide a match.
    public var rules: MatchRules
    /// When set, `/webcast/` endpoints want this key in `x-api-key` or `apiKey`: 401 without
    /// one, 403 with another.
    public var apiKey: String?
    /// Injected faults, applied in order.
    public var faults: [Fault]
    /// The URL written into the `push_server` of every served fetch result (the mock push
    /// server); nil serves recorded fetch results unchanged.
    public var pushServerURL: String?

    public init(rules: MatchRules = .default, apiKey: String? = nil, faults: [Fault] = [], pushServerURL: String? = nil) {
        self.rules = rules
        self.apiKey = apiKey
        self.faults = faults
        self.pushServerURL = pushServerURL
    }
}

/// The signing API played back from a tape, in EulerStream's dialect (`GET /webcast/fetch`,
/// `POST /webcast/sign_url`, `GET /webcast/room_id`, `GET /webcast/rate_limits`) and the local
/// server's (`POST /api/eulerstream`).
///
/// Requests are answered from the recorded exchanges (see `ExchangeMatcher`); a request that
/// matches none gets 404 with a near-miss report, unless the tape recorded nothing at all for
/// that endpoint: then a consistent answer is synthesized from the tape (its room id, cookies
/// and WebSocket session). Thread-safe.
public final class SigningService: Sendable {
    /// An answer and, when something is worth logging (a near miss, a fault, a synthesized
    /// answer, a rewrite failure), one line about it.
    public struct Answer: Sendable {
        public var response: MockResponse
        public var log: String?
    }

    /// The endpoints the mock knows how to synthesize.
    public static let endpoints: Set<String> = [
        "/webcast/fetch", "/webcast/sign_url", "/webcast/room_id", "/webcast/rate_limits", "/api/eulerstream",
    ]

    public let options: SigningOptions
    private let tape: ServedTape
    private let synthesizer: SyntheticAnswers
    private let state: Mutex<State>

    private struct State {
        var matcher: ExchangeMatcher
        var faultsUsed: [Int]
        var requests = 0
    }

    public init(tape: ServedTape, options: SigningOptions = SigningOptions()) {
        self.tape = tape
        self.options = options
        synthesizer = SyntheticAnswers(tape: tape, pushServerURL: options.pushServerURL)
        state = Mutex(State(matcher: ExchangeMatcher(exchanges: tape.exchanges, rules: options.rules),
                            faultsUsed: Array(repeating: 0, count: options.faults.count)))
    }

    /// Rewinds the recorded-order cursors and the fault counters.
    public func reset() {
        state.withLock {
            $0.matcher.reset()
            $0.faultsUsed = Array(repeating: 0, count: options.faults.count)
            $0.requests = 0
        }
    }

    /// The answer to `request`.
    public func respond(to request: IncomingRequest) -> Answer {
        if let denied = checkAPIKey(request) {
            return Answer(response: denied, log: "\(request.method) \(request.path): \(denied.status) (API key)")
        }
        let isFetch = request.path == "/webcast/fetch"
        let (faults, match, count) = state.withLock { state -> ([Fault.Kind], MatchResult, Int) in
            state.requests += 1
            var kinds: [Fault.Kind] = []
            for (i, fault) in options.faults.enumerated() {
                if case .stubFetch = fault.kind, !isFetch { continue }
                if let limit = fault.count, state.faultsUsed[i] >= limit { continue }
                state.faultsUsed[i] += 1
                kinds.append(fault.kind)
            }
            return (kinds, state.matcher.match(request), state.requests)
        }
        var delay = 0
        for kind in faults {
            switch kind {
            case .rateLimit:
                return Answer(response: .json(429, ["message": "Too many requests: rate limit exceeded", "limit_label": "minute"]),
                              log: "\(request.method) \(request.path): 429 (fault rate-limit)")
            case .serverError:
                return Answer(response: .json(500, ["message": "Internal server error", "code": 500]),
                              log: "\(request.method) \(request.path): 500 (fault server-error)")
            case .stubFetch:
                var response = MockResponse(status: 200, headers: synthesizer.fetchHeaders, body: SyntheticAnswers.stubFetchBody)
                response.headers.insert(HTTPHeader("Content-Type", "application/x-protobuf"), at: 0)
                return Answer(response: response, log: "GET /webcast/fetch: fallback stub of \(response.body.count) bytes (fault stub-fetch)")
            case .slow(let ms):
                delay += ms
            }
        }
        var answer: Answer
        switch match {
        case .matched(let m):
            answer = recorded(m, request: request)
        case .nearMiss(let miss):
            let endpointRecorded = tape.exchanges.contains { IncomingRequest($0.request).path == request.path }
            if Self.endpoints.contains(request.path), !endpointRecorded {
                answer = synthesizer.answer(request, requestCount: count)
            } else {
                answer = Answer(response: MockResponse(status: 404, headers: [HTTPHeader("Content-Type", "application/json")], body: miss.jsonBody),
                                log: miss.logLine)
            }
        }
        answer.response.delayMilliseconds += delay
        return answer
    }

    private func checkAPIKey(_ request: IncomingRequest) -> MockResponse? {
        guard let key = options.apiKey, request.path.hasPrefix("/webcast/") else { return nil }
        let sent = request.headers.first { asciiEqualFolded($0.name, "x-api-key") }?.value ?? request.queryValues("apiKey").first
        guard let sent else { return .json(401, ["message": "Missing API key: send it in the x-api-key header or the apiKey query parameter"]) }
        return sent == key ? nil : .json(403, ["message": "Invalid API key"])
    }

    /// Hop-by-hop and framing headers: the server sets its own.
    private static let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"]

    private func recorded(_ match: Match, request: IncomingRequest) -> Answer {
        guard let response = match.exchange.response else {
            return Answer(response: .json(502, ["message": .string("the recorded exchange failed: \(match.exchange.error ?? "no response")")]),
                          log: "\(request.method) \(request.path): 502, the recorded exchange #\(match.recordIndex) has no response")
        }
        let headers = response.headers.filter { !Self.framingHeaders.contains($0.name.lowercased()) }
        var body = response.body.bytes
        var log: String?
        if request.path == "/webcast/fetch", response.status == 200, let url = options.pushServerURL {
            do {
                body = try FetchResultRewriter.rewritePushServer(body, to: url)
            } catch {
                log = "GET /webcast/fetch: recorded body #\(match.recordIndex) is not a fetch result (\(error)); served unchanged"
            }
        }
        return Answer(response: MockResponse(status: response.status, headers: headers, body: body), log: log)
    }
}
