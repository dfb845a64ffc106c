import Foundation
import MockServers
import Tape
import Testing

@Suite struct RedactCommandTests {
    /// Fresh random secrets, new on every run; `+/=` make the percent-encoded form differ.
    private struct Secrets {
        private(set) var all: [String] = []

        mutating func next() -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            let secret = String((0..<12).map { _ in alphabet.randomElement()! }) + "+/" + String((0..<8).map { _ in alphabet.randomElement()! }) + "="
            all.append(secret)
            return secret
        }

        /// A fresh secret, percent-encoded as in a URL or form.
        mutating func nextEncoded() -> String {
            next().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }
    }

    /// The forms in which `secret` could leak: as is, percent-encoded, and base64-encoded at each
    /// of the three alignments inside longer base64 text.
    private func leakForms(_ secret: String) -> [String] {
        let bytes = Array(secret.utf8)
        let base64 = (0..<3).map { pad in
            let encoded = Array(Data([UInt8](repeating: 0, count: pad) + bytes).base64EncodedString().utf8)
            // The characters that depend on the secret's bytes alone.
            return String(decoding: encoded[((8 * pad + 5) / 6)..<(8 * (pad + bytes.count) / 6)], as: UTF8.self)
        }
        return [secret, secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!] + base64
    }

    private func write(_ records: [TapeRecord], redacted: [String] = [], to path: String) throws {
        let writer = try TapeWriter(path: path, header: TapeHeader(created: "2026-11-29T12:00:00Z", source: TapeSource(kind: "test"), redacted: redacted))
        for record in records { try writer.append(record) }
        try writer.close()
    }

    /// A tape with a different random secret in every place a secret can be.
    private func secretTape(_ s: inout Secrets) -> [TapeRecord] {
        let json = [HTTPHeader("Content-Type", "application/json")]
        let sign = HTTPExchange(
            timeMicros: 0, conn: 1,
            request: HTTPRequest(
                method: "POST", url: "https://tiktok.eulerstream.com/webcast/sign_url?apiKey=\(s.nextEncoded())&client=ttlive-python&sessionid=\(s.nextEncoded())",
                headers: json + [HTTPHeader("X-Api-Key", s.next()), HTTPHeader("Authorization", "Bearer \(s.next())"),
                                 HTTPHeader("Cookie", "sessionid=\(s.next()); tt-target-idc=useast1a; sid_tt=\(s.next()); msToken=\(s.next())")],
                body: Body(text: #"{"url":"https://www.tiktok.com/@bob/live?msToken=\#(s.nextEncoded())&X-Bogus=\#(s.nextEncoded())&lang=en","#
                    + #""sessionId":"\#(s.next())","client":{"session_id":"\#(s.next())","cookies":[{"name":"sid_tt","value":"\#(s.next())"}]},"userAgent":"UA"}"#)),
            response: HTTPResponse(
                status: 200, reason: "OK",
                headers: json + [HTTPHeader("Set-Cookie", "ttwid=\(s.next()); Path=/; Domain=.tiktok.com; HttpOnly"),
                                 HTTPHeader("X-Set-TT-Cookie", "sid_guard=\(s.next()); tt_csrf_token=\(s.next()); tt-target-idc=useast1a"),
                                 HTTPHeader("X-Cookie-Header", "sessionid_ss=\(s.next())"), HTTPHeader("X-Ms-Token", s.next())],
                body: Body(text: #"{"code":200,"response":{"signedUrl":"https://webcast.tiktok.com/webcast/fetch/?room_id=7&X-Gnarly=\#(s.nextEncoded())"#
                    + #"&signature=\#(s.nextEncoded())&_signature=\#(s.nextEncoded())","tokens":{"msToken":"\#(s.next())","X-Bogus":"\#(s.next())"},"#
                    + #""cookies":"ttwid=\#(s.next()); odin_tt=\#(s.next())"}}"#)))
        let form = HTTPExchange(
            timeMicros: 10, conn: 2,
            request: HTTPRequest(method: "POST", url: "https://www.tiktok.com/api/report?ttwid=\(s.nextEncoded())&room_id=7",
                                 headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")],
                                 body: Body(text: "room_id=7&msToken=\(s.nextEncoded())&sessionid=\(s.nextEncoded())")),
            response: HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/html")],
                                   body: Body(text: #"<a href="/live?X-Bogus=\#(s.next())&amp;room_id=7">live</a>"#)))
        let fetch = HTTPExchange(
            timeMicros: 20, conn: 1,
            request: HTTPRequest(method: "GET", url: "https://tiktok.eulerstream.com/webcast/fetch?client=ttlive-python&room_id=7&apiKey=\(s.nextEncoded())",
                                 headers: [HTTPHeader("X-Api-Key", s.next())]),
            response: HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/x-protobuf"),
                                                          HTTPHeader("X-Set-TT-Cookie", "ttwid=\(s.next()); tt_csrf_token=\(s.next()); tt-target-idc=useast1a")],
                                   body: Body([0x0A, 0x03, 0x31, 0x32, 0x33, 0x52, 0x00])))
        let open = WebSocketOpen(
            timeMicros: 30, conn: 3,
            url: "wss://webcast-ws.tiktok.com/webcast/im/push/?room_id=7&X-Bogus=\(s.nextEncoded())&msToken=\(s.nextEncoded())&signature=\(s.nextEncoded())&compress=gzip",
            requestHeaders: [HTTPHeader("Cookie", "ttwid=\(s.next()); sessionid=\(s.next()); tt-target-idc=useast1a"), HTTPHeader("x-api-key", s.next())],
            response: HTTPResponse(status: 101, reason: "Switching Protocols",
                                   headers: [HTTPHeader("Set-Cookie", "odin_tt=\(s.next()); Path=/"), HTTPHeader("Set-Cookie", "msToken=\(s.next()); Path=/")]))
        return [
            .http(sign), .http(form), .http(fetch), .wsOpen(open),
            .wsMessage(WebSocketMessage(timeMicros: 40, conn: 3, direction: .recv, payload: Body([0x08, 0x01, 0x1F, 0x8B, 0xFF]))),
            .wsMessage(WebSocketMessage(timeMicros: 50, conn: 3, direction: .send, opcode: .text, payload: "hb")),
            .wsClose(WebSocketClose(timeMicros: 60, conn: 3, code: 1000, by: .client)),
        ]
    }

    @Test func noSecretSurvivesAndReplayStillMatches() throws {
        var secrets = Secrets()
        let original = secretTape(&secrets)
        #expect(secrets.all.count == 40)
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("in.tape").path, output = directory.appendingPathComponent("out.tape").path
        try write(original, redacted: ["x-api-key"], to: input)
        let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
        for secret in secrets.all { #expect(inputBytes.range(of: Data(secret.utf8)) != nil || inputBytes.range(of: Data(leakForms(secret)[1].utf8)) != nil) }

        let run = try CLI.run(["redact", input, "-o", output])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)

        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        for secret in secrets.all {
            for form in leakForms(secret) {
                #expect(bytes.range(of: Data(form.utf8)) == nil, "\(form) (of secret \(secret)) is in the redacted tape")
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("tt-target-idc=useast1a") && text.contains("room_id=7"))

        let reader = try TapeReader(path: output)
        let redacted = try reader.map { try $0.result.get() }
        #expect(redacted.count == original.count)
        #expect(Array(redacted[4...]) == Array(original[4...]))
        #expect(reader.header.redacted.first == "x-api-key")
        #expect(Set(reader.header.redacted) == [
            "x-api-key", "authorization", "x-ms-token", "query:apikey", "query:sessionid", "query:mstoken", "query:x-bogus",
            "query:x-gnarly", "query:signature", "query:_signature", "query:ttwid", "cookie:sessionid", "cookie:sid_tt",
            "cookie:mstoken", "cookie:ttwid", "cookie:sid_guard", "cookie:tt_csrf_token", "cookie:sessionid_ss", "cookie:odin_tt",
            "json:sessionid", "json:session_id", "json:cookies", "json:mstoken", "json:x-bogus",
        ])
        #expect(reader.header.redacted.count == Set(reader.header.redacted).count)

        // Every key compared, so that the placeholders, not the volatile-key list, make the match.
        var matcher = try ExchangeMatcher(tapeAt: output, rules: MatchRules(query: .allExcept([]), body: .allExcept([])))
        let requests = original.compactMap { record -> HTTPRequest? in if case .http(let exchange) = record { exchange.request } else { nil } }
        for (index, request) in requests.enumerated() {
            guard case .matched(let match) = matcher.match(IncomingRequest(request)) else {
                Issue.record("request \(index) (\(request.url)) no longer matches its redacted recording")
                continue
            }
            #expect(match.recordIndex == index)
        }
        var otherRoom = requests[1]
        otherRoom.body = Body(text: otherRoom.body.text!.replacingOccurrences(of: "room_id=7", with: "room_id=8"))
        if case .matched = matcher.match(IncomingRequest(otherRoom)) { Issue.record("a request for another room matches") }
    }

    @Test func aTapeWithoutSecretsIsCopiedByteForByte() throws {
        let output = try CLI.temporaryDirectory().appendingPathComponent("out.tape").path
        let run = try CLI.run(["redact", "Fixtures/session-5min.tape", "-o", output])
        #expect(run.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(contentsOf: CLI.root.appendingPathComponent("Fixtures/session-5min.tape")))
    }

    @Test func badRecordsAreNamedAndLeftOut() throws {
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("in.tape").path, output = directory.appendingPathComponent("out.tape").path
        let header = TapeHeader(created: "2026-11-29T12:00:00Z", source: TapeSource(kind: "test"))
        let open = WebSocketOpen(timeMicros: 5, conn: 1, url: "ws://h/?msToken=M1", response: nil)
        let early = WebSocketMessage(timeMicros: 3, conn: 1, direction: .recv, payload: "x")
        let lines = [TapeEncoder.encode(header), TapeEncoder.encode(.wsOpen(open)), Array("{\"kind\":\"http\"}\n".utf8),
                     TapeEncoder.encode(.wsMessage(early)), TapeEncoder.encode(.wsClose(WebSocketClose(timeMicros: 9, conn: 1, by: .abnormal)))]
        try Data(lines.joined()).write(to: URL(fileURLWithPath: input))

        let run = try CLI.run(["redact", input, "-o", output])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(input):3: malformed record"))
        #expect(run.stderr.contains("\(input):4: t_us 3 is earlier"))
        let reader = try TapeReader(path: output)
        #expect(reader.header.redacted == ["query:mstoken"])
        // The malformed record is left out; the one whose time went backwards is kept.
        let kinds = reader.compactMap { entry -> String? in
            switch entry.result {
            case .success(let record): record.kind
            case .failure(let error): error.recoveredRecord?.kind
            }
        }
        #expect(kinds == ["ws_open", "ws_message", "ws_close"])
    }

    @Test func unreadableInputAndInvalidArguments() throws {
        let directory = try CLI.temporaryDirectory()
        let output = directory.appendingPathComponent("out.tape").path
        #expect(try CLI.run(["redact", directory.appendingPathComponent("missing.tape").path, "-o", output]).status == 2)
        let notATape = directory.appendingPathComponent("x.tape")
        try Data("hello\n".utf8).write(to: notATape)
        #expect(try CLI.run(["redact", notATape.path, "-o", output]).status == 2)

        let tape = directory.appendingPathComponent("in.tape").path
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent("Fixtures/handshake-rejected.tape").path, toPath: tape)
        #expect(try CLI.run(["redact", tape, "-o", output, "--redact", "a b"]).status == 64)
        #expect(try CLI.run(["redact", tape, "-o", output, "--keep", "cookie:not_a_default"]).status == 64)
        #expect(try CLI.run(["redact", tape, "-o", tape]).status == 64)
        #expect(try CLI.run(["redact", tape, "-o", output, "--keep", "X-API-KEY", "--redact", "json:token"]).status == 0)
    }
}
