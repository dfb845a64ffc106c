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
        let (stderr, exchanges) = try stop(sniff, tape: tape)
        #expect(stderr.contains("2 exchanges"), "\(stderr)")
        #expect(exchanges.map { $0.response?.status } == [200, 200])
        #expect(exchanges.first?.request.url.hasSuffix("/webcast/room_id?uniqueId=n1&msToken=<redacted:mstoken:1>") == true)
        #expect(try String(contentsOfFile: tape, encoding: .utf8).contains("SECRET") == false)
    }

    /// As an unprivileged user with every capability dropped, the capture cannot start: exit 2,
    /// with a message that names what is missing.
    @Test(.enabled(if: getuid() == 0, "not running as root: cannot switch to an unprivileged user to check the message"))
    func withoutRootOrCapNetRawTheMessageSaysSo() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The build directory need not be readable by that user; a copy of the binary is.
        let binary = directory.appendingPathComponent("livetape")
        try FileManager.default.copyItem(at: CLI.binary, to: binary)
        for path in [directory.path, binary.path] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        let tape = directory.appendingPathComponent("sniffed.tape").path
        let run = try CLI.run(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                               binary.path, "sniff", "-i", "lo", "--port", "9", "-o", tape, "--duration", "5"],
                              in: directory, executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("needs root or the CAP_NET_RAW capability"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tape))
    }

    /// With `--keylog`, a live capture of TLS decrypts connections whose secrets the client
    /// writes to the key log while the capture runs: the log does not exist when the capture
    /// starts, the first client creates it, the second appends to it.
    @Test func aLiveTLSCaptureReadsTheKeyLogAsItGrows() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serve = try servedOverTLS("Fixtures/compress-none.tape", certificateIn: directory)
        defer { kill(serve.process.processIdentifier, SIGTERM); _ = serve.finish() }
        let port = serve.port("sign_url")
        let keyLog = directory.appendingPathComponent("keys.log").path
        let tape = directory.appendingPathComponent("sniffed.tape").path
        let sniff = try ServeProcess(["-i", "lo", "--port", String(port), "--keylog", keyLog, "-o", tape], command: "sniff")
        #expect(!FileManager.default.fileExists(atPath: keyLog))
        for n in 1...2 {
            let request = "GET /webcast/room_id?uniqueId=n\(n) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
            let answer = try runTool("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-keylogfile", keyLog, "-quiet"],
                                     input: Data(request.utf8))
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
        }
        let (stderr, exchanges) = try stop(sniff, tape: tape)
        #expect(stderr.contains("2 TLS connections decrypted, 0 TLS problems"), "\(stderr)")
        #expect(exchanges.map(\.request.url) == (1...2).map { "https://127.0.0.1:\(port)/webcast/room_id?uniqueId=n\($0)" })
        #expect(exchanges.map { $0.response?.status } == [200, 200])
    }

    /// Stops `sniff` as Ctrl-C does, expects exit 0, and returns its standard error and the
    /// exchanges of the tape it wrote.
    private func stop(_ sniff: ServeProcess, tape: String) throws -> (stderr: String, exchanges: [HTTPExchange]) {
        usleep(300_000)
        kill(sniff.process.processIdentifier, SIGINT)
        let (status, stderr) = sniff.finish()
        #expect(status == 0, "\(stderr)")
        let exchanges = try TapeReader(path: tape).compactMap { entry -> HTTPExchange? in
            if case .http(let e) = try entry.result.get() { e } else { nil }
        }
        return (stderr, exchanges)
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
