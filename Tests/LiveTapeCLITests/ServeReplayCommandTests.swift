import Foundation
import JSONKit
import Tape
import Testing

/// A `livetape serve` (or another command that prints its URLs as a JSON line) running in the background.
final class ServeProcess {
    let process = Process()
    let urls: JSONValue
    private let errors = Pipe()

    init(_ arguments: [String], command: String = "serve") throws {
        process.executableURL = CLI.binary
        process.arguments = [command] + arguments
        process.currentDirectoryURL = CLI.root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line += byte }
        urls = try JSONParser.parse(Array(line))
    }

    /// Port of `key`'s URL.
    func port(_ key: String) -> Int {
        Int(urls[key]!.stringValue!.split(separator: ":")[2].prefix { $0.isNumber })!
    }

    /// Waits for the exit (SIGKILL after `seconds`); returns the status and stderr.
    func finish(within seconds: Double = 20) -> (Int32, String) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}

/// A blocking TCP connection to 127.0.0.1:`port` that has sent `bytes`; the caller closes it.
func connectLoopback(port: Int, sending bytes: String) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else {
        close(fd)
        throw TestFailure("connect failed")
    }
    _ = Array(bytes.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    return fd
}

/// A blocking HTTP/1.1 GET on loopback: the status line and the body.
func httpGet(port: Int, _ target: String) throws -> (status: String, body: String) {
    let fd = try connectLoopback(port: port, sending: "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    defer { close(fd) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += chunk[..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    return (parts[0].components(separatedBy: "\r\n")[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite(.timeLimit(.minutes(2))) struct ServeReplayCommandTests {
    @Test func servePrintsItsURLsServesAndStopsOnSIGTERM() throws {
        let serve = try ServeProcess(["Fixtures/session-5min.tape", "--api-key", "k"])
        #expect(serve.urls["sign_url"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        #expect(serve.urls["push_url"]?.stringValue?.hasSuffix("/webcast/im/push/v2/") == true)
        #expect(serve.urls["eulerstream_url"]?.stringValue?.hasSuffix("/api/eulerstream") == true)
        let port = serve.port("sign_url")
        #expect(try httpGet(port: port, "/webcast/room_id?uniqueId=x").status == "HTTP/1.1 401 Unauthorized")
        let room = try httpGet(port: port, "/webcast/room_id?uniqueId=x&apiKey=k")
        #expect(room.status == "HTTP/1.1 200 OK")
        #expect(try JSONParser.parse(room.body)["room_id"] == "7441523998651237126")
        kill(serve.process.processIdentifier, SIGTERM)
        let (status, stderr) = serve.finish()
        #expect(status == 0)
        #expect(stderr.contains("GET /webcast/room_id: 401 (API key)"))
    }

    @Test func aDeviatingSessionIsReportedAndExitsOne() throws {
        let report = try CLI.temporaryDirectory().appendingPathComponent("sessions.jsonl").path
        let serve = try ServeProcess(["Fixtures/compress-none.tape", "--speed", "max", "--sessions", "1", "--report", report])
        let fd = try connectLoopback(port: serve.port("push_url"), sending: "GET /webcast/im/push/v2/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        usleep(300_000)
        close(fd)
        let (status, stderr) = serve.finish()
        #expect(status == 1, "\(stderr)")
        let line = try JSONParser.parse(String(try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n")[0]))
        #expect(line["session"] == 1)
        #expect(line["deviations"]?.arrayValue?.contains("no im_enter_room (the recorded client sent one)") == true)
        #expect(line["close"]?["by"] == "abnormal")
    }

    @Test func serveStopsOnSIGTERMWhileAHandshakeIsUnderWay() throws {
        let serve = try ServeProcess(["Fixtures/compress-none.tape", "--handshake-timeout", "600"])
        let fd = try connectLoopback(port: serve.port("push_url"), sending: "GET /webcast/im/push/v2/ HTTP/1.1\r\nHost: x\r\n")
        defer { close(fd) }
        usleep(200_000)
        kill(serve.process.processIdentifier, SIGTERM)
        let (status, stderr) = serve.finish(within: 10)
        #expect(serve.process.terminationReason == .exit && status == 0, "killed after 10 s, or exited \(status): \(stderr)")
    }

    @Test func serveRefusesBadArgumentsAndUnreadableTapes() throws {
        #expect(try CLI.run(["serve", "Fixtures/session-5min.tape", "--fault", "teapot"]).status == 64)
        #expect(try CLI.run(["serve", "Fixtures/session-5min.tape", "--speed", "0"]).status == 64)
        #expect(try CLI.run(["serve", "Fixtures/session-5min.tape", "--handshake-timeout", "0"]).status == 64)
        #expect(try CLI.run(["serve", "Fixtures/session-5min.tape", "--idle-timeout", "nan"]).status == 64)
        let missing = try CLI.run(["serve", "no-such.tape"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such.tape"))
    }

    @Test func replayWritesTheTranscriptAndTheClientsTape() throws {
        let dir = try CLI.temporaryDirectory()
        let tapeOut = dir.appendingPathComponent("replayed.tape").path
        let run = try CLI.run(["replay", "Fixtures/compress-none.tape", "--view", "events", "--tape-out", tapeOut])
        #expect(run.status == 0, "\(run.stderr)")
        let records = try run.records()
        #expect(records.first?["view"] == "events")
        #expect(records.contains { $0["event"] == "connect" && $0["url"]?.stringValue?.hasPrefix("ws://127.0.0.1:") == true })
        let reader = try TapeReader(path: tapeOut)
        #expect(reader.header.source.kind == "replay")
        let received = try reader.map { try $0.result.get() }.filter { if case .wsMessage(let m) = $0 { m.direction == .recv } else { false } }
        #expect(received.count == 151)
    }

    @Test func replayPrintsTheLiveViewAsItPlays() throws {
        let run = try CLI.run(["replay", "Fixtures/compress-none.tape", "--view", "events", "--print"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first == "00:00.000  💬 @hangyeol (한결): play it again pls 🙏")
        #expect(!run.stdout.contains("{\"transcript\""), "--print alone writes no transcript")
    }

    @Test func replayExitsOneOnDecodeErrors() throws {
        let run = try CLI.run(["replay", "Fixtures/corrupt-messages.tape", "-o", "/dev/null"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("decode errors"))
    }
}
