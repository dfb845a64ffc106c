import Foundation
import MockServers
import Capture
import TLSDecryption
import Tape
import TapeClient
import Testing

/// `tcpdump` on the loopback interface for the duration of a body.
func withLoopbackCapture(ports: [Int], _ body: () async throws -> Void) async throws -> String {
    let path = temporaryCapture()
    let tcpdump = Process()
    tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
    tcpdump.arguments = ["-i", "lo", "-U", "-B", "32768", "-s", "0", "-w", path] + ports.map { "tcp port \($0)" }.joined(separator: " or ").split(separator: " ").map(String.init)
    tcpdump.standardOutput = FileHandle.nullDevice
    tcpdump.standardError = FileHandle.nullDevice
    try tcpdump.run()
    // tcpdump creates the file once the capture is active.
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: path) {
        try await Task.sleep(for: .milliseconds(25))
    }
    try await body()
    try await Task.sleep(for: .milliseconds(300))
    // tcpdump may only notice a signal with its next packet; with -U every packet is already
    // in the file, so a kill loses nothing.
    kill(tcpdump.processIdentifier, SIGTERM)
    for _ in 0..<40 where tcpdump.isRunning { try await Task.sleep(for: .milliseconds(25)) }
    if tcpdump.isRunning { kill(tcpdump.processIdentifier, SIGKILL) }
    return path
}

/// Expects the WebSocket messages of `records` to be those of the tape's session, both ways and
/// in order, and a signing exchange answered 200; returns that exchange.
@discardableResult
func expectServedTape(_ tape: ServedTape, in records: [TapeRecord]) throws -> HTTPExchange {
    let received = records.compactMap { if case .wsMessage(let m) = $0, m.direction == .recv { m.payload.bytes } else { nil } }
    #expect(received == tape.sessions[0].serverMessages.map(\.payload))
    let sent = records.compactMap { if case .wsMessage(let m) = $0, m.direction == .send { m.payload.bytes } else { nil } }
    #expect(sent == tape.sessions[0].clientMessages.map(\.payload))
    let fetch = try #require(records.compactMap { if case .http(let e) = $0 { e } else { nil } }.first)
    #expect(fetch.response?.status == 200)
    return fetch
}

/// `tape` with its first session's handshake offering permessage-deflate as browsers do: the
/// tape client offers it again and the push server accepts.
func offeringPermessageDeflate(_ tape: ServedTape) -> ServedTape {
    var offering = tape
    offering.sessions[0].open.requestHeaders.append(HTTPHeader("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))
    return offering
}

/// A loopback capture of `livetape serve`'s traffic for `tape` (its mocks at full speed, a
/// replaying client): the capture's path and the push server's port.
func captureOfServedSession(_ tape: ServedTape) async throws -> (path: String, pushPort: Int) {
    let servers = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max))
    let ports = [servers.signURL, servers.pushURL].map { Int($0.split(separator: ":")[2].prefix { $0.isNumber })! }
    let capture = try await withLoopbackCapture(ports: ports) {
        try await TapeClient(tape: tape).run(signURL: servers.signURL) { _ in }
    }
    await servers.shutdown()
    return (capture, ports[1])
}

@Suite(.timeLimit(.minutes(2))) struct LoopbackCaptureTests {
    /// A capture of `livetape serve`'s traffic (its mocks, a replaying client), imported, carries
    /// exactly the messages of the tape that was served: with permessage-deflate negotiated,
    /// every message marked compressed, else none.
    @Test(arguments: [false, true])
    func aCaptureOfTheMockServersCarriesTheServedTape(deflate: Bool) async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let capture = try await captureOfServedSession(deflate ? offeringPermessageDeflate(tape) : tape).path
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let (records, summary, readError) = try CaptureImporter.importFile(capture)
        #expect(readError == nil)
        #expect(summary.gaps == 0 && summary.unparsed == [] && summary.webSocketSessions == 1 && summary.exchanges == 1, "\(summary)")
        try expectServedTape(tape, in: records)
        let messages = records.compactMap { if case .wsMessage(let m) = $0 { m } else { nil } }
        #expect(!messages.isEmpty && messages.allSatisfy { $0.compressed == deflate })
    }
}

/// A self-signed RSA certificate for 127.0.0.1 in `directory`, made by openssl.
func loopbackCertificate(in directory: URL) throws -> ServerTLS {
    let tls = ServerTLS(certificateFile: directory.appendingPathComponent("cert.pem").path, keyFile: directory.appendingPathComponent("key.pem").path)
    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                         "-keyout", tls.keyFile, "-out", tls.certificateFile]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    try #require(openssl.terminationStatus == 0, "openssl req")
    return tls
}

@Suite(.timeLimit(.minutes(3)), .serialized) struct TLSLoopbackCaptureTests {
    /// A wss session and its https signing exchange through the mock servers, captured on
    /// loopback while the client logs its TLS secrets, import with that key log into exactly the
    /// messages of the served tape: TLS 1.3 as the client and server agree on it (AES-GCM on
    /// this hardware), and TLS 1.2 with AES-256-GCM (a SHA-384 PRF) and with ChaCha20-Poly1305.
    @Test(arguments: [
        (nil, "TLS 1.3, TLS_AES_"),
        ("ECDHE-RSA-AES256-GCM-SHA384", "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xC030)"),
        ("ECDHE-RSA-CHACHA20-POLY1305", "TLS 1.2, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA8)"),
    ] as [(String?, String)])
    func aDecryptedCaptureCarriesTheServedTape(tls12CipherSuites: String?, negotiated: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverTLS = try loopbackCertificate(in: directory)
        let keyLogFile = directory.appendingPathComponent("keys.log").path
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let servers = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max, tls: serverTLS))
        #expect(servers.signURL.hasPrefix("https://") && servers.pushURL.hasPrefix("wss://"))
        let ports = [servers.signURL, servers.pushURL].map { Int($0.split(separator: ":")[2].prefix { $0.isNumber })! }
        var client = TapeClient(tape: tape)
        client.tls = TLSOptions(caFile: serverTLS.certificateFile, keyLogFile: keyLogFile, tls12CipherSuites: tls12CipherSuites)
        let capture = try await withLoopbackCapture(ports: ports) {
            try await client.run(signURL: servers.signURL) { _ in }
        }
        await servers.shutdown()
        defer { try? FileManager.default.removeItem(atPath: capture) }

        let keyLog = try KeyLog(contentsOf: keyLogFile)
        #expect(keyLog.problems == [] && keyLog.count == 2, "one logged session per connection")
        let (records, summary, readError) = try CaptureImporter.importFile(capture, keyLog: keyLog)
        #expect(readError == nil)
        #expect(summary.undecryptedTLS == [] && summary.gaps == 0 && summary.unparsed == [], "\(summary)")
        #expect(summary.decryptedTLS.count == 2 && summary.decryptedTLS.allSatisfy { $0.contains(negotiated) }, "\(summary.decryptedTLS)")
        #expect(summary.webSocketSessions == 1 && summary.exchanges == 1)
        let fetch = try expectServedTape(tape, in: records)
        #expect(fetch.request.url.hasPrefix("https://"))
        let open = records.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }.first
        #expect(open?.url.hasPrefix("wss://") == true)

        // Without the key log the same capture holds nothing but skipped TLS.
        let (_, skipped, _) = try CaptureImporter.importFile(capture)
        #expect(skipped.skippedTLS.count == 2 && skipped.messages == 0)
    }
}
