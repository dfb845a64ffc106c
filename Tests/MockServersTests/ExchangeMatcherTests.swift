import Foundation
import JSONKit
import MockServers
import Tape
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let sessionTape = repoRoot.appendingPathComponent("Fixtures/session-5min.tape").path

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The first record of the fixture: the recorded `GET …/webcast/fetch`.
func fixtureFetch() throws -> HTTPExchange {
    for entry in try TapeReader(path: sessionTape) {
        if case .http(let exchange) = try entry.result.get() { return exchange }
    }
    throw TestFailure("no http record in \(sessionTape)")
}

func exchange(_ method: String, _ url: String, body: Body = .empty, answer: String) -> HTTPExchange {
    HTTPExchange(timeMicros: 0, request: HTTPRequest(method: method, url: url, body: body),
                 response: HTTPResponse(status: 200, body: Body(text: answer)))
}

func matched(_ result: MatchResult) throws -> Match {
    guard case .matched(let match) = result else {
        throw TestFailure("expected a match, got \(result)")
    }
    return match
}

func nearMiss(_ result: MatchResult) throws -> NearMiss {
    guard case .nearMiss(let miss) = result else { throw TestFailure("expected a near miss, got \(result)") }
    return miss
}

/// `request` with its query item `name` replaced by `value` (appended when absent).
func replacing(_ name: String, with value: String, in request: IncomingRequest) -> IncomingRequest {
    var copy = request
    if let i = copy.query.firstIndex(where: { $0.name == name }) {
        copy.query[i].value = value
    } else {
        copy.query.append(QueryItem(name, value))
    }
    return copy
}

@Suite struct ExchangeMatcherTests {
    @Test func fixtureFetchMatchesItself() throws {
        var matcher = try ExchangeMatcher(tapeAt: sessionTape)
        #expect(matcher.exchanges.count == 1)
        let recorded = try fixtureFetch()
        // As a mock server receives it: origin-form target, no host.
        let url = recorded.request.url
        let target = String(url[url.range(of: "/webcast/fetch")!.lowerBound...])
        let request = IncomingRequest(method: "GET", target: target, headers: [HTTPHeader("User-Agent", "TikTokLive.py/7.0.1")])
        #expect(request.path == "/webcast/fetch")
        #expect(request.queryValues("room_id") == ["7441523998651237126"])
        #expect(request.queryValues("user_agent").first?.hasPrefix("Mozilla/5.0 (Windows NT 10.0; Win64; x64)") == true)
        let match = try matched(matcher.match(request))
        #expect(match.recordIndex == 0)
        #expect(match.exchange == recorded)
        #expect(match.exchange.response?.status == 200)
        #expect(match.occurrence == 0 && match.candidates == 1 && !match.isRepeat)
    }

    @Test func volatileKeysAreIgnored() throws {
        var matcher = try ExchangeMatcher(tapeAt: sessionTape)
        var request = IncomingRequest(try fixtureFetch().request)
        for (key, value) in [("X-Bogus", "DFSzswVOabc"), ("msToken", "tok"), ("_signature", "_02B4Z6"),
                             ("signature", "sig"), ("last_rtt", "-1"), ("apiKey", "real-key"), ("ts", "1764460000")] {
            request = replacing(key, with: value, in: request)
        }
        _ = try matched(matcher.match(request))
        // A key that is not volatile decides the match.
        let extra = try nearMiss(matcher.match(replacing("unique_id", with: "someone", in: request)))
        #expect(extra.differences == [Difference(field: .query("unique_id"), recorded: [], received: ["someone"])])
    }

    @Test func differingRoomIdIsANearMissNamingBothValues() throws {
        var matcher = try ExchangeMatcher(tapeAt: sessionTape)
        let recorded = try fixtureFetch()
        let request = replacing("room_id", with: "7000000000000000001", in: IncomingRequest(recorded.request))
        let miss = try nearMiss(matcher.match(request))
        #expect(miss.closest == ClosestRequest(recordIndex: 0, method: "GET", url: recorded.request.url))
        #expect(miss.differences == [Difference(field: .query("room_id"), recorded: ["7441523998651237126"], received: ["7000000000000000001"])])

        let json = try JSONParser.parse(miss.jsonBody)
        #expect(json["request"]?["path"] == "/webcast/fetch")
        #expect(json["closest"]?["index"] == .int(0))
        let difference = json["differences"]?.arrayValue?.first
        #expect(difference?["field"] == "query.room_id")
        #expect(difference?["recorded"] == "7441523998651237126")
        #expect(difference?["received"] == "7000000000000000001")

        let line = miss.logLine
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("no match for GET /webcast/fetch; closest #0 GET https://tiktok.eulerstream.com/webcast/fetch?"))
        #expect(line.hasSuffix(#"query.room_id recorded "7441523998651237126" received "7000000000000000001""#))
    }

    @Test func repeatedRequestsGetRecordedAnswersInOrderThenTheLastRepeats() throws {
        let base = "https://api.eulerstream.com/webcast/fetch?client=ttlive-python&room_id=1"
        var matcher = ExchangeMatcher(exchanges: [
            exchange("GET", base + "&X-Bogus=a", answer: "first"),
            exchange("GET", "https://api.eulerstream.com/webcast/fetch?client=ttlive-python&room_id=2", answer: "other room"),
            exchange("GET", base + "&X-Bogus=b", answer: "second"),
            exchange("GET", base + "&X-Bogus=c", answer: "third"),
        ])
        let request = IncomingRequest(method: "GET", target: "/webcast/fetch?client=ttlive-python&room_id=1&X-Bogus=zzz")
        var answers: [String] = []
        var indices: [Int] = []
        var repeats: [Bool] = []
        for _ in 0..<5 {
            let match = try matched(matcher.match(request))
            answers.append(match.exchange.response?.body.text ?? "")
            indices.append(match.recordIndex)
            repeats.append(match.isRepeat)
            #expect(match.candidates == 3)
        }
        #expect(answers == ["first", "second", "third", "third", "third"])
        #expect(indices == [0, 2, 3, 3, 3])
        #expect(repeats == [false, false, false, true, true])
        // Another key has its own cursor.
        let other = try matched(matcher.match(IncomingRequest(method: "GET", target: "/webcast/fetch?client=ttlive-python&room_id=2")))
        #expect(other.exchange.response?.body.text == "other room")
        matcher.reset()
        #expect(try matched(matcher.match(request)).exchange.response?.body.text == "first")
    }

    @Test func methodAndPathMismatches() throws {
        var matcher = ExchangeMatcher(exchanges: [
            exchange("GET", "https://api.eulerstream.com/webcast/fetch?room_id=1", answer: "fetch"),
            exchange("GET", "https://api.eulerstream.com/webcast/room_id?uniqueId=someone", answer: "room"),
        ])
        let post = try nearMiss(matcher.match(IncomingRequest(method: "POST", target: "/webcast/fetch?room_id=1")))
        #expect(post.closest?.recordIndex == 0)
        #expect(post.differences == [Difference(field: .method, recorded: ["GET"], received: ["POST"])])
        #expect(post.logLine.hasSuffix(#"method recorded "GET" received "POST""#))

        let slash = try nearMiss(matcher.match(IncomingRequest(method: "GET", target: "/webcast/fetch/?room_id=1")))
        #expect(slash.differences == [Difference(field: .path, recorded: ["/webcast/fetch"], received: ["/webcast/fetch/"])])

        // Same path wins over fewer differences elsewhere.
        let samePath = try nearMiss(matcher.match(IncomingRequest(method: "POST", target: "/webcast/room_id?uniqueId=x&room_id=1")))
        #expect(samePath.closest?.recordIndex == 1)
        #expect(samePath.differences.map(\.field) == [.method, .query("uniqueId"), .query("room_id")])

        var empty = ExchangeMatcher(exchanges: [])
        let none = try nearMiss(empty.match(IncomingRequest(method: "GET", path: "/x")))
        #expect(none.closest == nil)
        #expect(none.logLine == "no match for GET /x; no recorded HTTP exchanges")
        #expect(try JSONParser.parse(none.jsonBody)["closest"] == JSONValue.null)
    }

    @Test func jsonBodiesAreComparedByTopLevelKeys() throws {
        let url = "http://127.0.0.1:8080/api/eulerstream"
        var matcher = ExchangeMatcher(exchanges: [
            exchange("POST", url, body: #"{"url": "https://www.tiktok.com/@alice/live"}"#, answer: "alice"),
            exchange("POST", url, body: #"{"url": "https://www.tiktok.com/@bob/live", "ttwid": "<redacted:ttwid:1>"}"#, answer: "bob"),
        ])
        let bob = IncomingRequest(method: "POST", target: "/api/eulerstream",
                                  body: #"{"ttwid":"fresh","url":"https://www.tiktok.com/@bob/live"}"#)
        #expect(try matched(matcher.match(bob)).exchange.response?.body.text == "bob")

        let carol = IncomingRequest(method: "POST", target: "/api/eulerstream", body: #"{"url":"https://www.tiktok.com/@carol/live"}"#)
        let miss = try nearMiss(matcher.match(carol))
        #expect(miss.closest?.recordIndex == 0)
        #expect(miss.differences == [Difference(field: .bodyKey("url"), recorded: [#""https://www.tiktok.com/@alice/live""#],
                                                received: [#""https://www.tiktok.com/@carol/live""#])])
        #expect(miss.logLine.contains("body.url recorded"))

        // A number is not the string of its digits.
        var typed = ExchangeMatcher(exchanges: [exchange("POST", url, body: #"{"n": 1}"#, answer: "one")])
        let stringN = try nearMiss(typed.match(IncomingRequest(method: "POST", path: "/api/eulerstream", body: #"{"n": "1"}"#)))
        #expect(stringN.differences.map(\.field) == [.bodyKey("n")])

        // A body that is not a JSON object is compared as bytes.
        let text = try nearMiss(matcher.match(IncomingRequest(method: "POST", path: "/api/eulerstream", body: "url=x")))
        #expect(text.differences == [Difference(field: .body, recorded: [#"{"url": "https://www.tiktok.com/@alice/live"}"#], received: ["url=x"])])
    }

    @Test func redactedValuesAndCustomRules() throws {
        let recorded = [exchange("GET", "https://h/webcast/fetch?room_id=1&user_agent=UA1&session=%3Credacted%3Asession%3A1%3E", answer: "ok")]
        let request = IncomingRequest(method: "GET", target: "/webcast/fetch?room_id=1&user_agent=UA1&session=real")
        var lenient = ExchangeMatcher(exchanges: recorded)
        _ = try matched(lenient.match(request))
        var strict = ExchangeMatcher(exchanges: recorded, rules: MatchRules(redactedMatchesAny: false))
        #expect(try nearMiss(strict.match(request)).differences.map(\.field) == [.query("session")])

        var onlyRoom = ExchangeMatcher(exchanges: recorded, rules: MatchRules(query: .only(["ROOM_ID"])))
        _ = try matched(onlyRoom.match(IncomingRequest(method: "GET", target: "/webcast/fetch?room_id=1&user_agent=other")))
        #expect(throws: TestFailure.self) { try matched(onlyRoom.match(IncomingRequest(method: "GET", target: "/webcast/fetch?room_id=2"))) }
    }

    @Test func placeholdersInsideRecordedValuesStandForAnyText() throws {
        let url = "http://127.0.0.1:8080/webcast/sign"
        let recorded = [
            exchange("POST", url, body: #"{"url":"https://www.tiktok.com/@bob/live?X-Bogus=<redacted:x-bogus:1>&lang=en","n":{"session_id":"<redacted:session_id:1>"}}"#, answer: "json"),
            exchange("POST", url, body: "room_id=7&msToken=<redacted:mstoken:1>", answer: "form"),
        ]
        var matcher = ExchangeMatcher(exchanges: recorded)
        let json = IncomingRequest(method: "POST", target: "/webcast/sign",
                                   body: #"{"url":"https://www.tiktok.com/@bob/live?X-Bogus=real&lang=en","n":{"session_id":"s3cret"}}"#)
        #expect(try matched(matcher.match(json)).recordIndex == 0)
        #expect(try matched(matcher.match(IncomingRequest(method: "POST", target: "/webcast/sign", body: "room_id=7&msToken=real"))).recordIndex == 1)

        // The text around a placeholder still has to match.
        let otherRoom = try nearMiss(matcher.match(IncomingRequest(method: "POST", target: "/webcast/sign", body: "room_id=8&msToken=real")))
        #expect(otherRoom.differences.map(\.field) == [.body])
        let otherLanguage = IncomingRequest(method: "POST", target: "/webcast/sign",
                                            body: #"{"url":"https://www.tiktok.com/@bob/live?X-Bogus=real&lang=de","n":{"session_id":"s3cret"}}"#)
        #expect(try nearMiss(matcher.match(otherLanguage)).differences.map(\.field) == [.bodyKey("url")])

        var strict = ExchangeMatcher(exchanges: [recorded[0]], rules: MatchRules(redactedMatchesAny: false))
        #expect(try nearMiss(strict.match(json)).differences.map(\.field) == [.bodyKey("url"), .bodyKey("n")])
    }

    @Test func requestTargetsDecodeAndKeepDuplicates() {
        let request = IncomingRequest(method: "GET", target: "wss://h.example:443/webcast/im/push/?a=x%20y+z&version_code=180800&flag&version_code=270000#frag")
        #expect(request.path == "/webcast/im/push/")
        #expect(request.query == [QueryItem("a", "x y z"), QueryItem("version_code", "180800"), QueryItem("flag", ""), QueryItem("version_code", "270000")])
        #expect(IncomingRequest(method: "GET", target: "https://h").path == "/")
        #expect(IncomingRequest(method: "GET", target: "/p?bad=%zz").queryValues("bad") == ["%zz"])
    }

    @Test func repeatedQueryKeysCompareAsOrderedLists() throws {
        var matcher = ExchangeMatcher(exchanges: [exchange("GET", "https://h/p?v=1&v=2", answer: "ok")])
        _ = try matched(matcher.match(IncomingRequest(method: "GET", target: "/p?v=1&v=2")))
        let miss = try nearMiss(matcher.match(IncomingRequest(method: "GET", target: "/p?v=2&v=1")))
        #expect(miss.differences == [Difference(field: .query("v"), recorded: ["1", "2"], received: ["2", "1"])])
        #expect(try JSONParser.parse(miss.jsonBody)["differences"]?.arrayValue?.first?["recorded"] == ["1", "2"])
    }
}
