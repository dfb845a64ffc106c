import Foundation
import JSONKit
import Tape
import Testing

@Suite(.timeLimit(.minutes(2))) struct SniffCommandTests {
    /// Live on the loopback interface: signing requests to `livetape serve` land in the tape as
    /// they are captured, redacted.
    @Test func aLiveCaptureOnLoopbackWritesTheExchanges() throws {
        let serve = try ServeProcess(["Fixtures/compress-none.tape"])
        defer { kill(serve.process.processIdentifier, SIGTERM); _ = serve.finish() }
        let tape = try CLI.temporaryDirectory().appendingPathComponent("sniffed.tape").path
        let port = serve.port("sign_url")
        let sniff = try ServeProcess(["-i", "lo", "--port", String(port), "-o", tape], command: "sniff")
        #expect(sniff.urls["filter"] == .string("tcp and (port \(port))"))
        for n in 1...2 {
            #expect(try httpGet(port: port, "/webcast/room_id?uniqueId=n\(n)&msToken=TOKEN\(n)SECRET").status == "HTTP/1.1 200 OK")
        }
        usleep(300_000)
        kill(sniff.process.processIdentifier, SIGINT)
        let (status, stderr) = sniff.finish()
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("2 exchanges"), "\(stderr)")
        let exchanges = try TapeReader(path: tape).compactMap { entry -> HTTPExchange? in
            if case .http(let e) = try entry.result.get() { e } else { nil }
        }
        #expect(exchanges.map { $0.response?.status } == [200, 200])
        #expect(exchanges.first?.request.url.hasSuffix("/webcast/room_id?uniqueId=n1&msToken=<redacted:mstoken:1>") == true)
        #expect(try String(contentsOfFile: tape, encoding: .utf8).contains("SECRET") == false)
    }

    @Test func aMissingInterfaceIsUnreadable() throws {
        let run = try CLI.run(["sniff", "-i", "no-such-interface0", "-o", "/dev/null"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no-such-interface0"))
    }

    @Test func aBadFilterIsUnreadable() throws {
        let run = try CLI.run(["sniff", "-i", "lo", "--filter", "tcp and and", "-o", "/dev/null"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("filter"))
    }
}
