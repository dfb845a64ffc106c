import Foundation
import JSONKit
import Tape
import Testing

/// The recorded fetch request of the session fixture, as a request target.
func fixtureFetchTarget() throws -> String {
    for entry in try TapeReader(path: CLI.root.appendingPathComponent("Fixtures/session-5min.tape").path) {
        if case .http(let exchange) = try entry.result.get() {
            let url = exchange.request.url
            return String(url[url.range(of: "/webcast/fetch")!.lowerBound...])
        }
    }
    throw TestFailure("no fetch in the fixture")
}

func connectLoopback(_ port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    return fd
}

@Suite(.timeLimit(.minutes(2))) struct RecordCommandTests {
    private func records(_ path: String) throws -> [TapeRecord] {
        try TapeReader(path: path).map { try $0.result.get() }
    }

    @Test func sigtermFinishesTheTapeWithCloseRecords() throws {
        let upstream = try ServeProcess(["Fixtures/session-5min.tape"])
        defer { kill(upstream.process.processIdentifier, SIGTERM); _ = upstream.finish() }
        let tape = try CLI.temporaryDirectory().appendingPathComponent("recorded.tape").path
        let proxy = try ServeProcess(["-o", tape, "--sign-upstream", upstream.urls["sign_url"]!.stringValue!], command: "record")
        let fetch = try httpGet(port: proxy.port("sign_url"), try fixtureFetchTarget())
        #expect(fetch.status == "HTTP/1.1 200 OK")
        let fd = connectLoopback(proxy.port("push_url"))
        defer { close(fd) }
        let upgrade = Array(("GET /webcast/im/push/v2/?room_id=7441523998651237126 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)
        _ = upgrade.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply = [UInt8](repeating: 0, count: 12)
        #expect(recv(fd, &reply, 12, 0) == 12)
        #expect(String(decoding: reply, as: UTF8.self) == "HTTP/1.1 101")
        usleep(500_000)
        kill(proxy.process.processIdentifier, SIGTERM)
        let (status, stderr) = proxy.finish()
        #expect(status == 0, "\(stderr)")
        let recorded = try records(tape)
        #expect(recorded.contains { if case .http(let e) = $0 { e.response?.status == 200 } else { false } })
        #expect(recorded.contains { if case .wsOpen(let o) = $0 { o.response?.status == 101 } else { false } })
        #expect(recorded.contains { if case .wsMessage(let m) = $0 { m.direction == .recv } else { false } })
        #expect(recorded.last.map { if case .wsClose = $0 { true } else { false } } == true, "the session in flight is closed in the tape")
    }

    @Test func afterKill9EveryCompleteRecordIsReadable() throws {
        let upstream = try ServeProcess(["Fixtures/session-5min.tape"])
        defer { kill(upstream.process.processIdentifier, SIGTERM); _ = upstream.finish() }
        let tape = try CLI.temporaryDirectory().appendingPathComponent("killed.tape").path
        let proxy = try ServeProcess(["-o", tape, "--sign-upstream", upstream.urls["sign_url"]!.stringValue!], command: "record")
        #expect(try httpGet(port: proxy.port("sign_url"), try fixtureFetchTarget()).status == "HTTP/1.1 200 OK")
        #expect(try httpGet(port: proxy.port("sign_url"), "/webcast/room_id?uniqueId=x").status == "HTTP/1.1 200 OK")
        kill(proxy.process.processIdentifier, SIGKILL)
        _ = proxy.finish()
        let recorded = try records(tape)
        #expect(recorded.count == 2)
    }

    @Test func recordRefusesANonHTTPUpstream() throws {
        #expect(try CLI.run(["record", "-o", "/dev/null", "--sign-upstream", "ftp://example.invalid"]).status == 64)
        #expect(try CLI.run(["record", "-o", "/dev/null", "--sign-upstream", "http://127.0.0.1:1", "--ws-upstream", "http://x"]).status == 64)
    }
}
