import Testing
@testable import Tape

@Suite struct RedactorTests {
    private func exchange(_ url: String = "https://h/p", headers: [HTTPHeader] = [], body: Body = .empty,
                          response: HTTPResponse? = nil) -> TapeRecord {
        .http(HTTPExchange(timeMicros: 0, request: HTTPRequest(method: "POST", url: url, headers: headers, body: body), response: response))
    }

    private struct UnexpectedRecord: Error {}

    private func request(_ record: TapeRecord) throws -> HTTPRequest {
        guard case .http(let exchange) = record else { throw UnexpectedRecord() }
        return exchange.request
    }

    private func response(_ record: TapeRecord) throws -> HTTPResponse {
        guard case .http(let exchange) = record, let response = exchange.response else { throw UnexpectedRecord() }
        return response
    }

    @Test func secretHeadersLoseTheirWholeValue() throws {
        var redactor = Redactor()
        let record = redactor.redact(exchange(headers: [
            HTTPHeader("X-Api-Key", "k=1; not a pair"), HTTPHeader("Authorization", "Bearer abc"),
            HTTPHeader("User-Agent", "TikTokLive.py/7.0.1"), HTTPHeader("x-ms-token", "mt"),
        ]))
        #expect(try request(record).headers == [
            HTTPHeader("X-Api-Key", "<redacted:x-api-key:1>"), HTTPHeader("Authorization", "<redacted:authorization:1>"),
            HTTPHeader("User-Agent", "TikTokLive.py/7.0.1"), HTTPHeader("x-ms-token", "<redacted:x-ms-token:1>"),
        ])
        #expect(redactor.redacted == ["x-api-key", "authorization", "x-ms-token"])
    }

    @Test func cookieHeadersKeepNamesAttributesAndHarmlessCookies() throws {
        var redactor = Redactor()
        let record = redactor.redact(exchange(
            headers: [HTTPHeader("Cookie", "sessionid=S1; tt-target-idc=useast1a; sid_tt=T1; msToken=M1==")],
            response: HTTPResponse(status: 200, headers: [
                HTTPHeader("Set-Cookie", "sid_guard=G1%7C1700000000; Path=/; Domain=.tiktok.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly"),
                HTTPHeader("Set-Cookie", "a=1; Path=/, ttwid=W1; Path=/"),
                HTTPHeader("X-Set-TT-Cookie", "ttwid=W1; tt_csrf_token=C1; tt-target-idc=useast1a"),
                HTTPHeader("X-Cookie-Header", "sessionid_ss=SS1; store-country-code=us"),
            ])))
        #expect(try request(record).headers == [
            HTTPHeader("Cookie", "sessionid=<redacted:sessionid:1>; tt-target-idc=useast1a; sid_tt=<redacted:sid_tt:1>; msToken=<redacted:mstoken:1>"),
        ])
        #expect(try response(record).headers.map(\.value) == [
            "sid_guard=<redacted:sid_guard:1>; Path=/; Domain=.tiktok.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly",
            "a=1; Path=/, ttwid=<redacted:ttwid:1>; Path=/",
            "ttwid=<redacted:ttwid:1>; tt_csrf_token=<redacted:tt_csrf_token:1>; tt-target-idc=useast1a",
            "sessionid_ss=<redacted:sessionid_ss:1>; store-country-code=us",
        ])
        #expect(redactor.redacted == ["cookie:sessionid", "cookie:sid_tt", "cookie:mstoken", "cookie:sid_guard",
                                      "cookie:ttwid", "cookie:tt_csrf_token", "cookie:sessionid_ss"])
    }

    @Test func queryParametersInURLs() throws {
        var redactor = Redactor()
        let url = "https://h/webcast/sign?room_id=7&apiKey=K1&msToken=M1%3D%3D&X-Bogus=B1&X-Gnarly=G1&signature=_02B4Z"
            + "&_signature=S2&sessionid=SID&ttwid=1%7CW&cursor=c&empty=&msToken=#frag"
        let record = try request(redactor.redact(exchange(url)))
        #expect(record.url == "https://h/webcast/sign?room_id=7&apiKey=<redacted:apikey:1>&msToken=<redacted:mstoken:1>"
            + "&X-Bogus=<redacted:x-bogus:1>&X-Gnarly=<redacted:x-gnarly:1>&signature=<redacted:signature:1>"
            + "&_signature=<redacted:_signature:1>&sessionid=<redacted:sessionid:1>&ttwid=<redacted:ttwid:1>&cursor=c&empty=&msToken=#frag")
        #expect(redactor.redacted == ["query:apikey", "query:mstoken", "query:x-bogus", "query:x-gnarly", "query:signature",
                                      "query:_signature", "query:sessionid", "query:ttwid"])
    }

    @Test func jsonKeysAtAnyDepthAndURLsInsideStrings() throws {
        var redactor = Redactor()
        let body = #"{"url": "https://www.tiktok.com/@bob/live?msToken=M1&lang=en", "sessionId": "S1", "room_id": 7, "#
            + #""data": {"session_id": "S2", "cookies": [{"name": "ttwid", "value": "W1"}, 42], "count": 3, "signature": 12345}, "ok": true}"#
        let record = try request(redactor.redact(exchange(headers: [HTTPHeader("Content-Type", "application/json")], body: Body(text: body))))
        #expect(record.body.text == #"{"url":"https://www.tiktok.com/@bob/live?msToken=<redacted:mstoken:1>&lang=en","sessionId":"<redacted:sessionid:1>","#
            + #""room_id":7,"data":{"session_id":"<redacted:session_id:1>","cookies":[{"name":"<redacted:cookies:1>","value":"<redacted:cookies:2>"},"#
            + #""<redacted:cookies:3>"],"count":3,"signature":"<redacted:signature:1>"},"ok":true}"#)
        #expect(redactor.redacted == ["query:mstoken", "json:sessionid", "json:session_id", "json:cookies", "json:signature"])
    }

    @Test func formAndTextBodiesAndErrors() throws {
        var redactor = Redactor()
        let record = redactor.redact(exchange(
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: "sessionid=S1&room_id=7&msToken=M1&note=a%26b",
            response: HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/html")],
                                   body: #"<a href="/live?X-Bogus=B1&amp;room_id=7">live</a>"#)))
        #expect(try request(record).body.text == "sessionid=<redacted:sessionid:1>&room_id=7&msToken=<redacted:mstoken:1>&note=a%26b")
        #expect(try response(record).body.text == #"<a href="/live?X-Bogus=<redacted:x-bogus:1>&amp;room_id=7">live</a>"#)

        // JSON is JSON whatever its label; failure texts are text.
        let mislabelled = redactor.redact(.http(HTTPExchange(
            timeMicros: 1, request: HTTPRequest(url: "https://h/p"),
            response: HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/octet-stream")], body: #"{"ttwid":"W1"}"#),
            error: "refused: https://h/p?X-Bogus=B2")))
        #expect(try response(mislabelled).body.text == #"{"ttwid":"<redacted:ttwid:1>"}"#)
        guard case .http(let exchange) = mislabelled else { throw UnexpectedRecord() }
        #expect(exchange.error == "refused: https://h/p?X-Bogus=<redacted:x-bogus:2>")
    }

    @Test func binaryBodiesAndWebSocketPayloadsStayAsTheyAre() {
        var redactor = Redactor()
        // UTF-8 with a control character: a protobuf, secret-looking text or not.
        let protobuf: [UInt8] = [0x0A, 0x17] + Array("sessionid=S1&msToken=M1".utf8)
        let records: [TapeRecord] = [
            exchange(body: Body(protobuf), response: HTTPResponse(
                status: 200, headers: [HTTPHeader("Content-Type", "application/x-protobuf")], body: "sessionid=S1&msToken=M1")),
            .wsMessage(WebSocketMessage(timeMicros: 1, conn: 1, direction: .send, opcode: .text, payload: #"{"sessionId":"S1","msToken":"M1"}"#)),
        ]
        #expect(records.map { redactor.redact($0) } == records)
        #expect(redactor.redacted.isEmpty)
    }

    @Test func webSocketHandshakes() throws {
        var redactor = Redactor()
        let open = WebSocketOpen(
            timeMicros: 0, conn: 1, url: "wss://push/webcast/im/push/?room_id=7&X-Bogus=B1&compress=gzip",
            requestHeaders: [HTTPHeader("Cookie", "ttwid=W1; tt-target-idc=useast1a"), HTTPHeader("X-Api-Key", "K1")],
            response: HTTPResponse(status: 101, headers: [HTTPHeader("Set-Cookie", "odin_tt=O1; Path=/"), HTTPHeader("Upgrade", "websocket")]))
        guard case .wsOpen(let redacted) = redactor.redact(.wsOpen(open)) else { throw UnexpectedRecord() }
        #expect(redacted.url == "wss://push/webcast/im/push/?room_id=7&X-Bogus=<redacted:x-bogus:1>&compress=gzip")
        #expect(redacted.requestHeaders == [HTTPHeader("Cookie", "ttwid=<redacted:ttwid:1>; tt-target-idc=useast1a"),
                                            HTTPHeader("X-Api-Key", "<redacted:x-api-key:1>")])
        #expect(redacted.response?.headers == [HTTPHeader("Set-Cookie", "odin_tt=<redacted:odin_tt:1>; Path=/"), HTTPHeader("Upgrade", "websocket")])
    }

    @Test func placeholdersAreStablePerNameAndNumberedInOrderOfAppearance() throws {
        var redactor = Redactor()
        let first = redactor.redact(exchange("https://h/p?msToken=A%3D%3D&sessionid=S1",
                                             headers: [HTTPHeader("Cookie", "msToken=B; sessionid=S2")]))
        let second = redactor.redact(exchange("https://h/p?msToken=B&ttwid=S1",
                                              headers: [HTTPHeader("Cookie", "msToken=A==")],
                                              body: Body(text: #"{"sessionId":"S2"}"#)))
        #expect(try request(first).url == "https://h/p?msToken=<redacted:mstoken:1>&sessionid=<redacted:sessionid:1>")
        #expect(try request(first).headers.value(for: "cookie") == "msToken=<redacted:mstoken:2>; sessionid=<redacted:sessionid:2>")
        // The same value under the same name: the same placeholder, wherever it is and however
        // it is encoded. The same value under another name: numbered apart.
        #expect(try request(second).url == "https://h/p?msToken=<redacted:mstoken:2>&ttwid=<redacted:ttwid:1>")
        #expect(try request(second).headers.value(for: "cookie") == "msToken=<redacted:mstoken:1>")
        #expect(try request(second).body.text == #"{"sessionId":"<redacted:sessionid:2>"}"#)
        #expect(redactor.redacted == ["query:mstoken", "query:sessionid", "cookie:mstoken", "cookie:sessionid", "query:ttwid", "json:sessionid"])
    }

    @Test func keepAndRedactChangeTheList() throws {
        var redactor = Redactor(keep: ["query:msToken", "X-API-KEY"], redact: ["cookie:s_v_web_id", "X-Secret", "json:Token"])
        let record = try request(redactor.redact(exchange(
            "https://h/p?msToken=M1&X-Bogus=B1",
            headers: [HTTPHeader("x-api-key", "K1"), HTTPHeader("x-secret", "X1"), HTTPHeader("Cookie", "s_v_web_id=V1; msToken=M1")],
            body: Body(text: #"{"token":"T1","msToken":"M1"}"#))))
        #expect(record.url == "https://h/p?msToken=M1&X-Bogus=<redacted:x-bogus:1>")
        #expect(record.headers == [HTTPHeader("x-api-key", "K1"), HTTPHeader("x-secret", "<redacted:x-secret:1>"),
                                   HTTPHeader("Cookie", "s_v_web_id=<redacted:s_v_web_id:1>; msToken=<redacted:mstoken:1>")])
        #expect(record.body.text == #"{"token":"<redacted:token:1>","msToken":"<redacted:mstoken:1>"}"#)
        #expect(!redactor.secrets.contains("query:mstoken") && redactor.secrets.contains("json:token"))

        for valid in ["x-api-key", "query:msToken", "COOKIE:sid_tt", "json:session_id"] { #expect(Redactor.isValidName(valid)) }
        for invalid in ["", "query:", "header:x", "a b", "cookie:a=b", "json:a:b", "x;y"] { #expect(!Redactor.isValidName(invalid)) }
    }

    @Test func bodiesWithoutSecretsKeepTheirBytes() {
        var redactor = Redactor()
        let json = Body(text: "{\"url\": \"https://h/p?room_id=7\",\n  \"n\": 1.50, \"big\": 123456789012345678901}")
        let records: [TapeRecord] = [
            exchange("https://h/p?room_id=7", headers: [HTTPHeader("Content-Type", "application/json")], body: json,
                     response: HTTPResponse(status: 200, headers: [HTTPHeader("Set-Cookie", "tt-target-idc=useast1a; Path=/")], body: "plain text, a=b")),
            // Already redacted: the placeholders stay as they are.
            exchange("https://h/p?msToken=<redacted:mstoken:3>", headers: [HTTPHeader("X-Api-Key", "<redacted:x-api-key:1>")],
                     body: Body(text: #"{"sessionId": "<redacted:sessionid:2>"}"#)),
        ]
        #expect(records.map { TapeEncoder.encode(redactor.redact($0)) } == records.map { TapeEncoder.encode($0) })
        #expect(redactor.redacted.isEmpty)
    }

    @Test func placeholdersInAPatternStandForAnyText() {
        #expect(Redactor.isPlaceholder("<redacted:x-bogus:12>"))
        for text in ["<redacted>", "<redacted:x>", "<redacted::1>", "<redacted:a:1>x", "<redacted:a b:1>"] { #expect(!Redactor.isPlaceholder(text)) }
        #expect(Redactor.matches("https://h/?a=REAL&b=2", pattern: "https://h/?a=<redacted:a:1>&b=2"))
        #expect(Redactor.matches("x=1&y=2", pattern: "x=<redacted:x:1>&y=<redacted:y:1>"))
        #expect(Redactor.matches("plain", pattern: "plain"))
        #expect(!Redactor.matches("https://h/?a=REAL&b=3", pattern: "https://h/?a=<redacted:a:1>&b=2"))
        #expect(!Redactor.matches("ab", pattern: "ab<redacted:a:1>b"))
        #expect(!Redactor.matches("other", pattern: "plain"))
    }
}
