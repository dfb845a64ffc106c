import Foundation
import JSONKit
import Tape
import Testing
import Transcript
import WebcastDecoder

@Suite struct ImportCommandTests {
    /// 2026-11-29T20:00:00Z, where the fixtures' sessions start.
    private static let epoch: Int64 = 1_795_982_400

    /// `t_us` after `epoch` as DevTools writes `startedDateTime` (here to the microsecond).
    private func date(_ micros: UInt64) -> JSONValue {
        let seconds = TapeHeader.timestamp(Date(timeIntervalSince1970: TimeInterval(Self.epoch + Int64(micros / 1_000_000))))
        let fraction = String(micros % 1_000_000)
        return .string(String(seconds.dropLast()) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z")
    }

    private func headers(_ headers: [HTTPHeader]) -> JSONValue {
        .array(headers.map { ["name": .string($0.name), "value": .string($0.value)] })
    }

    private func content(_ body: Body) -> JSONValue {
        if let text = body.text { return ["size": .int(Int64(body.count)), "text": .string(text)] }
        return ["size": .int(Int64(body.count)), "text": .string(body.data.base64EncodedString()), "encoding": "base64"]
    }

    private func response(_ response: HTTPResponse?, error: String?) -> JSONValue {
        guard let response else { return ["status": 0, "statusText": "", "headers": [], "_error": .string(error ?? "")] }
        return ["status": .int(Int64(response.status)), "statusText": .string(response.reason ?? ""),
                "headers": headers(response.headers), "content": content(response.body)]
    }

    /// A HAR as Chrome saves the session of `records`: an entry per exchange, one per WebSocket
    /// with its messages (and its close frame, unless the close was abnormal) in `_webSocketMessages`.
    private func har(of records: [TapeRecord]) -> [JSONValue] {
        var frames: [Int: [JSONValue]] = [:], ends: [Int: UInt64] = [:]
        func frame(_ conn: Int, _ direction: TapeDirection, _ micros: UInt64, _ opcode: UInt8, _ data: String) {
            frames[conn, default: []].append(["type": direction == .send ? "send" : "receive", "time": .double(Double(Self.epoch) + Double(micros) / 1e6),
                                              "opcode": .int(Int64(opcode)), "data": .string(data)])
        }
        for record in records {
            switch record {
            case .wsMessage(let m):
                frame(m.conn, m.direction, m.timeMicros, m.opcode.rawValue, m.opcode == .text ? m.payload.text! : m.payload.data.base64EncodedString())
            case .wsClose(let c) where c.by == .abnormal:
                ends[c.conn] = c.timeMicros
            case .wsClose(let c):
                let payload = c.code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] + Array(c.reason.utf8) } ?? []
                frame(c.conn, c.by == .client ? .send : .recv, c.timeMicros, 8, Data(payload).base64EncodedString())
            case .http, .wsOpen: break
            case .gap: Issue.record("a HAR cannot hold a gap")
            }
        }
        return records.compactMap { record -> JSONValue? in
            switch record {
            case .http(let e):
                var request: [(String, JSONValue)] = [("method", .string(e.request.method)), ("url", .string(e.request.url)), ("headers", headers(e.request.headers))]
                if !e.request.body.isEmpty { request.append(("postData", content(e.request.body))) }
                return ["startedDateTime": date(e.timeMicros), "time": .double(Double(e.durationMicros ?? 0) / 1000),
                        "request": .object(request), "response": response(e.response, error: e.error)]
            case .wsOpen(let o):
                return ["startedDateTime": date(o.timeMicros), "time": .double(Double((ends[o.conn] ?? o.timeMicros) - o.timeMicros) / 1000),
                        "_resourceType": "websocket",
                        "request": ["method": "GET", "url": .string(o.url), "headers": headers(o.requestHeaders)],
                        "response": response(o.response, error: o.error), "_webSocketMessages": .array(frames[o.conn] ?? [])]
            default:
                return nil
            }
        }
    }

    /// An entry for a GET of `url` answered with a binary body.
    private func get(_ url: String, at date: JSONValue, base64 body: JSONValue) -> JSONValue {
        ["startedDateTime": date, "time": 3, "request": ["method": "GET", "url": .string(url), "headers": []],
         "response": ["status": 200, "statusText": "OK", "headers": [], "content": ["size": 3, "text": body, "encoding": "base64"]]]
    }

    private func write(entries: [JSONValue], to url: URL) throws {
        try Data(CanonicalJSON.encode(["log": ["version": "1.2", "creator": ["name": "test", "version": "1"], "entries": .array(entries)]])).write(to: url)
    }

    private func records(ofTape path: String) throws -> (TapeHeader, [TapeRecord]) {
        let reader = try TapeReader(path: path)
        return (reader.header, try reader.map { try $0.result.get() })
    }

    /// A fixture's session saved as a HAR and imported decodes to the fixture's events golden,
    /// every message crossing in order and byte for byte.
    @Test(arguments: ["session-5min", "handshake-rejected", "corrupt-messages", "compress-none"])
    func anImportedHARDecodesLikeTheOriginalTape(name: String) throws {
        let (_, original) = try records(ofTape: CLI.root.appendingPathComponent("Fixtures/\(name).tape").path)
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("\(name).har"), output = directory.appendingPathComponent("out.tape").path
        try write(entries: har(of: original), to: input)

        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 0, "\(run.stderr)")
        let messages = original.filter { $0.kind == "ws_message" }.count
        #expect(run.stderr.contains("2 entries → 1 exchange, 1 WebSocket connection, \(messages) message\(messages == 1 ? "" : "s"); 0 skipped"), "\(run.stderr)")

        let (header, imported) = try records(ofTape: output)
        #expect(imported == original, "nothing the tape holds is lost on the way through a HAR")
        #expect(header.source == TapeSource(kind: "har", detail: "\(name).har"))
        #expect(header.redacted.isEmpty, "the fixture holds placeholders only")
        func payloads(_ records: [TapeRecord], _ direction: TapeDirection) -> [Body] {
            records.compactMap { if case .wsMessage(let m) = $0, m.direction == direction { m.payload } else { nil } }
        }
        #expect(payloads(imported, .recv) == payloads(original, .recv))
        #expect(payloads(imported, .send) == payloads(original, .send))

        var transcriber = TapeTranscriber(view: .events)
        var lines = CanonicalJSON.encode(transcriber.header) + [0x0A]
        for entry in try TapeReader(path: output) {
            for line in transcriber.records(for: entry) { lines += CanonicalJSON.encode(line) + [0x0A] }
        }
        let transcript = directory.appendingPathComponent("events.jsonl").path
        try Data(lines).write(to: URL(fileURLWithPath: transcript))
        let report = try TranscriptDiff.diff(expected: CLI.root.appendingPathComponent("Fixtures/\(name).events.golden.jsonl").path, actual: transcript,
                                             options: DiffOptions(ignore: IgnoreRules(["*.t_us"])))
        #expect(report.changes.isEmpty, "\(name): \(report.changes.prefix(3).map(\.title))")
        #expect(report.summary.compared > 0)
    }

    @Test func aBrokenEntryIsNamedAndTheRestImported() throws {
        let (_, original) = try records(ofTape: CLI.root.appendingPathComponent("Fixtures/compress-none.tape").path)
        let broken = get("https://tiktok.eulerstream.com/webcast/rate_limits", at: "2026-11-29T20:00:01.000Z", base64: "not base64!")
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("broken.har"), output = directory.appendingPathComponent("out.tape").path
        try write(entries: har(of: original) + [broken], to: input)

        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(input.path): entries[2].response.content.text: invalid base64"), "\(run.stderr)")
        #expect(run.stderr.contains("3 entries → 1 exchange, 1 WebSocket connection, 194 messages; 1 skipped (named above)"), "\(run.stderr)")
        #expect(try records(ofTape: output).1 == original)
    }

    @Test func responsesSavedWithoutContentAreCounted() throws {
        let sanitized: JSONValue = [
            "startedDateTime": "2026-11-29T20:00:00.000Z", "time": 3,
            "request": ["method": "GET", "url": "https://tiktok.eulerstream.com/webcast/fetch?room_id=7", "headers": []],
            "response": ["status": 200, "statusText": "OK", "headers": [], "content": ["size": 4482, "mimeType": "application/x-protobuf"]],
        ]
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("sanitized.har"), output = directory.appendingPathComponent("out.tape").path
        try write(entries: [sanitized], to: input)
        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 0)
        #expect(run.stderr.contains("\(input.path): 1 response without content in the HAR, imported with empty bodies"), "\(run.stderr)")
        guard case .http(let exchange)? = try records(ofTape: output).1.first else { Issue.record("no exchange"); return }
        #expect(exchange.response?.status == 200 && exchange.response?.body == .empty)
    }

    @Test func malformedJSONIsNamedByItsByteOffset() throws {
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("bad.har"), output = directory.appendingPathComponent("out.tape").path
        try Data(#"{"log": {"entries": [}]}}"#.utf8).write(to: input)
        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(input.path): not valid JSON: unexpected '}', expected a value at byte 21"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        try Data(#"{"log": {"pages": []}}"#.utf8).write(to: input)
        let notHAR = try CLI.run(["import", input.path, "-o", output])
        #expect(notHAR.status == 2)
        #expect(notHAR.stderr.contains("not a HAR file: no log.entries array"), "\(notHAR.stderr)")
    }

    @Test(arguments: [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]] as [[UInt8]])
    func aBrokenPcapOrPcapngIsUnreadable(magic: [UInt8]) throws {
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("capture.pcap"), output = directory.appendingPathComponent("out.tape").path
        try Data(magic + [UInt8](repeating: 0, count: 28)).write(to: input)
        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 2)
        #expect(run.stderr.contains(input.path), "the error names the file: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// A tcpdump capture of a client talking to `livetape serve` on loopback imports to a tape
    /// holding that exchange, with its secret redacted.
    @Test func aLoopbackCaptureImports() throws {
        let directory = try CLI.temporaryDirectory()
        let capture = directory.appendingPathComponent("lo.pcap").path, output = directory.appendingPathComponent("out.tape").path
        let serve = try ServeProcess(["Fixtures/compress-none.tape"])
        defer { kill(serve.process.processIdentifier, SIGTERM); _ = serve.finish() }
        try captureLoopback(port: serve.port("sign_url"), to: capture) {
            let answer = try httpGet(port: serve.port("sign_url"), "/webcast/room_id?uniqueId=someone&msToken=SECRET123")
            #expect(answer.status == "HTTP/1.1 200 OK")
        }
        let run = try CLI.run(["import", capture, "-o", output])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("1 exchanges"), "\(run.stderr)")
        let records = try TapeReader(path: output).map { try $0.result.get() }
        guard case .http(let exchange)? = records.first else { throw TestFailure("no exchange in \(records)") }
        #expect(exchange.request.url.contains("/webcast/room_id?uniqueId=someone&msToken=<redacted:mstoken:1>"))
        #expect(exchange.response?.status == 200)
        #expect(exchange.response?.body.text?.contains("7441523998651237126") == true)
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("SECRET123") == false)
        let inspected = try CLI.run(["inspect", capture])
        #expect(inspected.stdout.contains("GET /webcast/room_id → 200"), "inspect reads the capture too: \(inspected.stdout)")
    }

    /// `livetape serve` over TLS, an HTTPS request by `openssl s_client` writing a key log (TLS
    /// 1.3 with ChaCha20-Poly1305, or AES-256-GCM and its SHA-384 key schedule), captured on
    /// loopback: imported with the key log, the exchange is the one s_client saw; a malformed
    /// key log line is named by number and the rest of the log used.
    @Test(arguments: ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"])
    func aTLSCaptureImportsWithItsKeyLog(suite: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("tls.pcap").path, output = directory.appendingPathComponent("out.tape").path
        let keyLog = directory.appendingPathComponent("keys.log").path
        let serve = try servedOverTLS("Fixtures/compress-none.tape", certificateIn: directory)
        defer { kill(serve.process.processIdentifier, SIGTERM); _ = serve.finish() }
        let port = serve.port("sign_url")
        var answer = Data()
        try captureLoopback(port: port, to: capture) {
            let request = "GET /webcast/room_id?uniqueId=someone HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
            answer = try runTool("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-ciphersuites", suite,
                                                      "-keylogfile", keyLog, "-quiet"], input: Data(request.utf8))
        }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
        let logged = try String(contentsOfFile: keyLog, encoding: .utf8)
        try (logged + "CLIENT_RANDOM not-hex\n").write(toFile: keyLog, atomically: true, encoding: .utf8)
        let badLine = logged.split(separator: "\n").count + 1

        let run = try CLI.run(["import", capture, "--keylog", keyLog, "-o", output])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("keys.log: line \(badLine): expected LABEL CLIENT_RANDOM SECRET, found 2 fields (line skipped)"), "\(run.stderr)")
        #expect(run.stderr.contains("1 TLS connections decrypted, 0 TLS problems"), "\(run.stderr)")
        #expect(run.stderr.contains("TLS 1.3, \(suite)"), "\(run.stderr)")
        let records = try TapeReader(path: output).map { try $0.result.get() }
        guard case .http(let exchange)? = records.first else { throw TestFailure("no exchange in \(records)") }
        #expect(exchange.request.url == "https://127.0.0.1:\(port)/webcast/room_id?uniqueId=someone")
        #expect(exchange.response?.status == 200)
        let body = try #require(exchange.response?.body.bytes)
        #expect(!body.isEmpty && Array(answer.suffix(body.count)) == body, "the body s_client received")

        let withoutKeys = try CLI.run(["import", capture, "-o", output])
        #expect(withoutKeys.status == 0 && withoutKeys.stderr.contains("1 TLS connections skipped"), "\(withoutKeys.stderr)")
    }

    @Test func anUnreadableKeyLogIsRefused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("empty.pcap")
        try Data([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]).write(to: capture)
        let run = try CLI.run(["import", capture.path, "--keylog", directory.appendingPathComponent("missing.log").path, "-o", directory.appendingPathComponent("out.tape").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("missing.log: cannot read the key log"), "\(run.stderr)")
    }

    @Test func secretsDoNotReachTheTape() throws {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        func secret() -> String { String((0..<24).map { _ in alphabet.randomElement()! }) }
        let apiKey = secret(), session = secret()
        let entry: JSONValue = [
            // Firefox writes the local time with its offset: this is 20:00:00.250Z.
            "startedDateTime": "2026-11-29T21:00:00.250+01:00", "time": .double(12.5),
            "request": ["method": "POST", "url": "https://tiktok.eulerstream.com/webcast/sign_url?client=ttlive-python",
                        "headers": [["name": "x-api-key", "value": .string(apiKey)], ["name": "Cookie", "value": .string("sessionid=\(session); tt-target-idc=useast1a")]],
                        "cookies": [["name": "sessionid", "value": .string(session)]],
                        "postData": ["mimeType": "application/json", "text": #"{"url":"https://www.tiktok.com/@bob/live"}"#]],
            "response": ["status": 200, "statusText": "OK", "headers": [["name": "Content-Type", "value": "application/json"]],
                         "content": ["size": 2, "mimeType": "application/json", "text": "{}"]],
        ]
        let image = get("https://p16-sign-va.tiktokcdn.com/avatar.webp", at: "2026-11-29T20:00:00.000Z", base64: "AAEC")
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("secret.har"), output = directory.appendingPathComponent("out.tape").path
        try write(entries: [entry, image], to: input)

        let run = try CLI.run(["import", input.path, "-o", output])
        #expect(run.status == 0, "\(run.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        for value in [apiKey, session] { #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) is in the tape") }

        let (header, imported) = try records(ofTape: output)
        #expect(header.redacted == ["x-api-key", "cookie:sessionid"])
        #expect(header.created == "2026-11-29T20:00:00Z")
        guard case .http(let image)? = imported.first, case .http(let sign)? = imported.last, imported.count == 2 else {
            Issue.record("expected two exchanges, got \(imported.map(\.kind))")
            return
        }
        #expect(image.response?.body == Body([0, 1, 2]))
        #expect(sign.timeMicros == 250_000 && sign.durationMicros == 12_500)
        #expect(sign.request.headers == [HTTPHeader("x-api-key", "<redacted:x-api-key:1>"), HTTPHeader("Cookie", "sessionid=<redacted:sessionid:1>; tt-target-idc=useast1a")])
        #expect(sign.request.body.text == #"{"url":"https://www.tiktok.com/@bob/live"}"#)

        let signingOnly = try CLI.run(["import", input.path, "-o", output, "--only-signing"])
        #expect(signingOnly.status == 0)
        #expect(signingOnly.stderr.contains("2 entries → 1 exchange, 0 WebSocket connections, 0 messages; 1 left out by --only-signing; 0 skipped"), "\(signingOnly.stderr)")
        #expect(try records(ofTape: output).1.map(\.kind) == ["http"])
    }
}

/// `tcpdump` on the loopback interface, port `port`, writing `path` while `body` runs.
func captureLoopback(port: Int, to path: String, _ body: () throws -> Void) throws {
    let tcpdump = Process()
    tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
    tcpdump.arguments = ["-i", "lo", "-U", "-B", "32768", "-w", path, "tcp", "port", String(port)]
    tcpdump.standardOutput = FileHandle.nullDevice
    tcpdump.standardError = FileHandle.nullDevice
    try tcpdump.run()
    defer {
        kill(tcpdump.processIdentifier, SIGTERM)   // with -U every packet is in the file already
        for _ in 0..<40 where tcpdump.isRunning { usleep(25_000) }
        if tcpdump.isRunning { kill(tcpdump.processIdentifier, SIGKILL) }
    }
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: path) { usleep(25_000) }
    usleep(200_000)
    try body()
    usleep(300_000)
}

/// `livetape serve TAPE` over TLS, with a self-signed certificate that openssl makes in `directory`.
func servedOverTLS(_ tape: String, certificateIn directory: URL) throws -> ServeProcess {
    let certificate = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
    try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                                     "-keyout", key, "-out", certificate])
    return try ServeProcess([tape, "--tls-cert", certificate, "--tls-key", key])
}

/// Runs `tool` with `input` on its standard input; its standard output (small). Killed after 20 s.
@discardableResult
func runTool(_ tool: String, _ arguments: [String], input: Data = Data()) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    // What these tools print fits in the pipe: it is read once they exit.
    let deadline = Date().addingTimeInterval(20)
    while process.isRunning, Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    guard process.terminationStatus == 0 else { throw TestFailure("\(tool) \(arguments.first ?? ""): exit \(process.terminationStatus)") }
    return output
}
