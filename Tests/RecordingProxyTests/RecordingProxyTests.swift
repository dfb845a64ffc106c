import Foundation
import JSONKit
import MockServers
import RecordingProxy
import Synchronization
import Tape
import TapeClient
import Testing
import Transcript
import WireKit
import WebcastDecoder
import WebcastProto

let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

final class Records: Sendable {
    let all = Mutex<[TapeRecord]>([])
    func append(_ record: TapeRecord) { all.withLock { $0.append(record) } }
    var list: [TapeRecord] { all.withLock { $0 } }
}

/// Upstream mocks of `name`, the proxy in front of them, the tape's client through the proxy.
/// Returns what the proxy recorded and what the client saw.
func recordThroughProxy(_ name: String, upstreamSpeed: ReplaySpeed = .max) async throws -> (recorded: [TapeRecord], client: [TapeRecord], upstream: ReplayServers) {
    let tape = try ServedTape(path: fixtures.appendingPathComponent("\(name).tape").path)
    let upstream = try await ReplayServers.start(tape: tape, configuration: .init(speed: upstreamSpeed))
    let recorded = Records()
    let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: upstream.signURL), recorder: Recorder(recorded.append))
    let client = Records()
    try await TapeClient(tape: tape).run(signURL: proxy.signURL, record: client.append)
    await proxy.shutdown()
    await upstream.shutdown()
    return (recorded.list, client.list, upstream)
}

func transcript(_ records: [TapeRecord], view: TranscriptView) throws -> String {
    var transcriber = TapeTranscriber(view: view)
    var out = CanonicalJSON.encode(transcriber.header) + [0x0A]
    for (offset, record) in records.enumerated() {
        for line in transcriber.records(for: record, line: offset + 2) { out += CanonicalJSON.encode(line) + [0x0A] }
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString).jsonl").path
    try Data(out).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite(.timeLimit(.minutes(2))) struct RecordingProxyTests {
    /// The events transcript of a session recorded through the proxy equals the original's
    /// golden; every message crossed in each direction byte for byte and in order (how the two
    /// directions interleave depends on timing, so the wire view is compared per direction).
    @Test(arguments: ["session-5min", "compress-none", "corrupt-messages"])
    func aSessionRecordedThroughTheProxyCarriesTheOriginalTraffic(name: String) async throws {
        let (recorded, _, _) = try await recordThroughProxy(name)
        let path = try transcript(recorded, view: .events)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try TranscriptDiff.diff(expected: fixtures.appendingPathComponent("\(name).events.golden.jsonl").path, actual: path,
                                             options: DiffOptions(ignore: IgnoreRules(OfflineReplay.movedFields)))
        #expect(report.changes.isEmpty, "\(name): \(report.changes.count) changes, first: \(report.changes.first?.record ?? "")")
        #expect(report.summary.compared > 0)
        let original = try ServedTape(path: fixtures.appendingPathComponent("\(name).tape").path).sessions[0]
        let sessions = ServedTape(name: "recorded", records: recorded).sessions
        #expect(sessions.count == 1)
        #expect(sessions.first?.serverMessages.map(\.payload) == original.serverMessages.map(\.payload))
        #expect(sessions.first?.clientMessages.map(\.payload) == original.clientMessages.map(\.payload))
        #expect(sessions.first?.close?.by == .client && sessions.first?.close?.code == 1000)
    }

    @Test func theTapeKeepsTheOriginalPushServerAndTheClientGetsTheProxy() async throws {
        let (recorded, client, upstream) = try await recordThroughProxy("compress-none")
        func pushServer(_ records: [TapeRecord]) throws -> String {
            guard case .http(let exchange)? = records.first, let body = exchange.response?.body.bytes else { throw RecordError("no exchange") }
            return try ProtoMessageFetchResult(serializedBytes: body).pushServer
        }
        #expect(try pushServer(recorded) == upstream.pushURL)
        let clientSaw = try pushServer(client)
        #expect(clientSaw.hasPrefix("ws://127.0.0.1:") && clientSaw != upstream.pushURL)
        let opens = recorded.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }
        #expect(opens.first?.url.hasPrefix(upstream.pushURL + "?") == true, "the tape names the push server the session really went to")
        let closes = recorded.compactMap { if case .wsClose(let c) = $0 { c } else { nil } }
        #expect(closes.map(\.by) == [.client] && closes.first?.code == 1000)
    }

    @Test func aRefusedHandshakeIsRelayedAndRecorded() async throws {
        let (recorded, client, _) = try await recordThroughProxy("handshake-rejected")
        for records in [recorded, client] {
            let open = try #require(records.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }.first)
            #expect(open.response?.status == 200)
            #expect(open.response?.headers.first { $0.name == "Handshake-Status" }?.value == "415")
        }
        #expect(recorded.contains { if case .wsClose(let c) = $0 { c.by == .abnormal } else { false } })
    }

    @Test func anUnreachableUpstreamIsA502AndARecordedFailure() async throws {
        let recorded = Records()
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: "http://127.0.0.1:1"), recorder: Recorder(recorded.append))
        let response = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.signURL + "/webcast/fetch?room_id=1")!, headers: [], body: [], maxBodyBytes: 1 << 20)
        await proxy.shutdown()
        #expect(response.status == 502)
        guard case .http(let exchange)? = recorded.list.first else { throw RecordError("nothing recorded") }
        #expect(exchange.response == nil)
        #expect(exchange.error?.isEmpty == false)
        #expect(exchange.request.url == "http://127.0.0.1:1/webcast/fetch?room_id=1")
    }
}

struct RecordError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A self-signed certificate for 127.0.0.1, made with openssl for one test.
func makeCertificate() throws -> (certificate: String, key: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let certificate = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate]
    openssl.standardOutput = FileHandle.nullDevice
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    guard openssl.terminationStatus == 0 else { throw RecordError("openssl req failed") }
    return (certificate, key)
}

@Suite(.timeLimit(.minutes(2))) struct RecordingProxyTLSTests {
    @Test(arguments: [false, true])
    func httpsAndWssUpstreamsAreRecordedWithTheGivenCAOrInsecurely(insecure: Bool) async throws {
        let (certificate, key) = try makeCertificate()
        let tape = try ServedTape(path: fixtures.appendingPathComponent("compress-none.tape").path)
        let upstream = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max, tls: ServerTLS(certificateFile: certificate, keyFile: key)))
        #expect(upstream.signURL.hasPrefix("https://") && upstream.pushURL.hasPrefix("wss://"))
        let recorded = Records()
        let tls = insecure ? TLSOptions(insecure: true) : TLSOptions(caFile: certificate)
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: upstream.signURL, tls: tls),
                                                   recorder: Recorder(recorded.append))
        try await TapeClient(tape: tape).run(signURL: proxy.signURL) { _ in }
        await proxy.shutdown()
        await upstream.shutdown()
        let session = try #require(ServedTape(name: "recorded", records: recorded.list).sessions.first)
        #expect(session.open.url.hasPrefix(upstream.pushURL))
        #expect(session.serverMessages.map(\.payload) == tape.sessions[0].serverMessages.map(\.payload))
    }

    @Test func anUntrustedCertificateIsARecordedFailure() async throws {
        let (certificate, key) = try makeCertificate()
        let tape = try ServedTape(path: fixtures.appendingPathComponent("compress-none.tape").path)
        let upstream = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max, tls: ServerTLS(certificateFile: certificate, keyFile: key)))
        let recorded = Records()
        let logs = Mutex<[String]>([])
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: upstream.signURL, log: { line in logs.withLock { $0.append(line) } }),
                                                   recorder: Recorder(recorded.append))
        let response = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.signURL + "/webcast/room_id?uniqueId=x")!, headers: [], body: [], maxBodyBytes: 1 << 20)
        await proxy.shutdown()
        await upstream.shutdown()
        #expect(response.status == 502)
        guard case .http(let exchange)? = recorded.list.first else { throw RecordError("nothing recorded") }
        #expect(exchange.response == nil && exchange.error?.isEmpty == false)
        #expect(logs.withLock { $0 }.contains { $0.contains("upstream failed") })
    }
}

/// A loopback server that answers every connection with `reply` and closes it; its port.
func garbageServer(reply: String) throws -> Int {
    try rawServer(reply: Array(reply.utf8))
}

/// A loopback server that answers every connection with the bytes `reply` and closes it; its port.
func rawServer(reply: [UInt8]) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw RecordError("cannot listen") }
    Thread.detachNewThread {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var request = [UInt8](repeating: 0, count: 4096)
            _ = recv(client, &request, request.count, 0)
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite(.timeLimit(.minutes(2))) struct RecordingProxyBadInputTests {
    @Test func aGzipAnswerIsStoredDecodedAndForwardedAsItCame() async throws {
        let json = Array(#"{"code":200,"message":"ok","room_id":"1"}"#.utf8)
        let gzipped = Deflate.gzip(json)
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(gzipped.count)\r\nConnection: close\r\n\r\n"
        let port = try rawServer(reply: Array(head.utf8) + gzipped)
        let recorded = Records()
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: "http://127.0.0.1:\(port)"), recorder: Recorder(recorded.append))
        let response = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.signURL + "/webcast/room_id?uniqueId=x")!, headers: [], body: [], maxBodyBytes: 1 << 20)
        await proxy.shutdown()
        #expect(response.status == 200)
        #expect(response.body.bytes == gzipped, "the client gets the bytes as they came")
        #expect(response.headers.first { $0.name == "Content-Encoding" }?.value == "gzip")
        guard case .http(let exchange)? = recorded.list.first else { throw RecordError("nothing recorded") }
        #expect(exchange.response?.body.bytes == json)
        #expect(exchange.response?.contentEncoding == "gzip")
    }

    @Test func anOversizedRequestBodyIs413AndTheProxyGoesOn() async throws {
        let recorded = Records()
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: "http://127.0.0.1:1", maxBodyBytes: 1024), recorder: Recorder(recorded.append))
        let big = try await HTTPClientConnection.send("POST", to: ClientURL(proxy.signURL + "/webcast/sign_url")!, headers: [],
                                                      body: [UInt8](repeating: 0x61, count: 5000), maxBodyBytes: 1 << 20)
        #expect(big.status == 413)
        let next = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.signURL + "/webcast/room_id")!, headers: [], body: [], maxBodyBytes: 1 << 20)
        #expect(next.status == 502, "the proxy still forwards (to an upstream that is down)")
        await proxy.shutdown()
        #expect(recorded.list.count == 1, "the refused request never went upstream")
    }

    @Test func anUpstreamThatDiesMidSessionIsAnAbnormalClose() async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let upstream = try await ReplayServers.start(tape: tape, configuration: .init(speed: .factor(1)))
        let recorded = Records()
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: upstream.signURL, wsUpstream: upstream.pushURL),
                                                   recorder: Recorder(recorded.append))
        let push = ClientURL(proxy.pushURL + "?room_id=7441523998651237126")!
        guard case .upgraded(let channel, _) = try await WebSocketClientConnection.connect(to: push, headers: [], maxFrameBytes: 1 << 24) else {
            throw RecordError("not relayed")
        }
        var received = 0
        try await channel.executeThenClose { inbound, _ in
            for try await _ in inbound {
                received += 1
                if received == 2 { await upstream.shutdown() }
            }
        }
        await proxy.shutdown()
        let closes = recorded.list.compactMap { if case .wsClose(let c) = $0 { c } else { nil } }
        #expect(closes.count == 1)
        #expect(closes.first?.by == .abnormal)
        #expect(received >= 2 && received < tape.sessions[0].serverMessages.count)
    }

    @Test func anUpstreamThatAnswersGarbageIsA502AndTheProxyGoesOn() async throws {
        let port = try garbageServer(reply: "this is not HTTP at all\r\n\r\n")
        let recorded = Records()
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: "http://127.0.0.1:\(port)"), recorder: Recorder(recorded.append))
        for _ in 0..<2 {
            let response = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.signURL + "/webcast/room_id")!, headers: [], body: [], maxBodyBytes: 1 << 20)
            #expect(response.status == 502)
        }
        let plain = try await HTTPClientConnection.send("GET", to: ClientURL(proxy.pushURL.replacingOccurrences(of: "ws://", with: "http://"))!,
                                                        headers: [], body: [], maxBodyBytes: 1 << 20)
        #expect(plain.status == 426, "a plain request on the WebSocket port")
        await proxy.shutdown()
        #expect(recorded.list.count == 2)
        #expect(recorded.list.allSatisfy { if case .http(let e) = $0 { e.response == nil && e.error != nil } else { false } })
    }
}

@Suite(.timeLimit(.minutes(2))) struct RecordingProxySecretsTests {
    /// Secrets, unique per run, in every place a client puts them: none may reach the tape in
    /// any spelling (as is, percent-encoded, base64).
    @Test func noSecretReachesTheTape() async throws {
        let secret = (0..<12).map { _ in "S" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20) }
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let upstream = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString).tape").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TapeWriter(path: path, header: TapeHeader(created: Date(), source: TapeSource(kind: "proxy")))
        let proxy = try await RecordingProxy.start(configuration: .init(signUpstream: upstream.signURL),
                                                   recorder: RecordingProxy.recorder(writing: writer, redactor: Redactor()) { _ in })
        let fetch = ClientURL.target(of: tape.exchanges[0].request.url) + "&msToken=\(secret[0])&X-Bogus=\(secret[1])"
        let answer = try await HTTPClientConnection.send(
            "GET", to: ClientURL(proxy.signURL + fetch)!,
            headers: [HTTPHeader("X-Api-Key", secret[2]), HTTPHeader("Cookie", "sessionid=\(secret[3]); tt-target-idc=useast1a")],
            body: [], maxBodyBytes: 1 << 20)
        #expect(answer.status == 200, "volatile keys do not stop the match")
        let signBody = #"{"url":"https://www.tiktok.com/@x/live?X-Bogus=\#(secret[4])","sessionId":"\#(secret[5])","ttwid":"\#(secret[6])"}"#
        _ = try await HTTPClientConnection.send("POST", to: ClientURL(proxy.signURL + "/webcast/sign_url")!,
                                                headers: [HTTPHeader("Content-Type", "application/json")], body: Array(signBody.utf8), maxBodyBytes: 1 << 20)
        _ = try await HTTPClientConnection.send("POST", to: ClientURL(proxy.signURL + "/api/eulerstream")!,
                                                headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")],
                                                body: Array("url=x&signature=\(secret[7])".utf8), maxBodyBytes: 1 << 20)
        let push = ClientURL(proxy.pushURL + "?room_id=7441523998651237126&signature=\(secret[8])&msToken=\(secret[9])")!
        if case .upgraded(let channel, _) = try await WebSocketClientConnection.connect(
            to: push, headers: [HTTPHeader("Cookie", "sessionid=\(secret[10]); sid_tt=\(secret[11])")], maxFrameBytes: 1 << 24) {
            try await channel.executeThenClose { inbound, _ in
                for try await _ in inbound { break }
            }
        } else {
            Issue.record("the WebSocket was not relayed")
        }
        try await Task.sleep(for: .milliseconds(200))
        await proxy.shutdown()
        await upstream.shutdown()
        try writer.close()

        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for value in secret {
            for spelling in [value, value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, Data(value.utf8).base64EncodedString()] {
                #expect(bytes.range(of: Data(spelling.utf8)) == nil, "\(spelling) is in the tape")
            }
        }
        let records = try TapeReader(path: path).map { try $0.result.get() }
        #expect(records.filter { if case .http = $0 { true } else { false } }.count == 3)
        #expect(records.contains { if case .wsOpen(let o) = $0 { o.url.contains("&signature=<redacted:signature:2>&msToken=<redacted:mstoken:") } else { false } })
    }
}
