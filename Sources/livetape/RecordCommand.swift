import ArgumentParser
import Foundation
import JSONKit
import RecordingProxy
import Tape
import TapeClient

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a session through a proxy: signing exchanges and WebSocket messages, into a tape.",
        discussion: """
            Listens on 127.0.0.1 (by default) with an HTTP listener that forwards every request to --sign-upstream and a WebSocket listener that relays to the push server. Upstreams may be plain or TLS (https, wss: SNI, the system's CA store, or --ca-file; --insecure for test upstreams); with SSLKEYLOGFILE set, the secrets of those TLS connections are appended to that file (NSS key log format), so that a capture of them can be decrypted with livetape import --keylog. The push_server of every /webcast/fetch answer is rewritten to the WebSocket listener, so a client whose signing URL points at the proxy comes through it for the whole session; the tape keeps the original answer. --ws-upstream relays to a fixed push server instead.

            Secrets never reach the tape: API keys, session cookies, tokens and signatures (headers, query strings, JSON and form bodies; the list is in docs/tape-format.md, "Redaction") are replaced by stable placeholders <redacted:NAME:N> before a record is written, and the header lists the names redacted; --keep and --redact adjust the list.

            Every exchange and message is appended to the tape as it happens (a killed recorder leaves every complete record readable). SIGINT or SIGTERM ends the sessions in flight with close records and closes the tape.

            On start it prints one JSON line on stdout: {"sign_url", "push_url"}; on a terminal, a live count of what was recorded follows on stderr.

            Examples:
              livetape record -o session.tape --sign-upstream http://127.0.0.1:8080
              SIGN_API_URL=http://127.0.0.1:40001 python my_client.py      # the sign_url printed above

            Exit codes: 0 stopped by a signal, the tape complete; 2 the tape could not be written or a port could not be bound; 64 invalid arguments.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The tape to write.", valueName: "out.tape"))
    var output: String

    @Option(help: ArgumentHelp("The signing service to forward to.", valueName: "http(s)://host:port"))
    var signUpstream: String

    @Option(help: ArgumentHelp("Relay WebSockets to this push server instead of the one fetch answers name.", valueName: "ws(s)://host:port/path"))
    var wsUpstream: String?

    @Option(help: ArgumentHelp("Trust the CA certificates in this PEM file for https and wss upstreams (default: the system's CA store).", valueName: "file"))
    var caFile: String?

    @Flag(help: "Accept any certificate from https and wss upstreams (test upstreams only).")
    var insecure = false

    @OptionGroup var secrets: RedactionOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port of the HTTP listener (0 picks a free one).", valueName: "port"))
    var signPort = 0

    @Option(help: ArgumentHelp("Port of the WebSocket listener (0 picks a free one).", valueName: "port"))
    var pushPort = 0

    func validate() throws {
        guard let url = ClientURL(signUpstream), url.scheme.hasPrefix("http") else {
            throw ValidationError("--sign-upstream must be an http:// or https:// URL, not \(signUpstream)")
        }
        if let wsUpstream, ClientURL(wsUpstream)?.scheme.hasPrefix("ws") != true {
            throw ValidationError("--ws-upstream must be a ws:// or wss:// URL, not \(wsUpstream)")
        }
    }

    func run() async throws {
        let writer: TapeWriter
        do {
            writer = try TapeWriter(path: output, header: TapeHeader(
                created: Date(), source: TapeSource(kind: "proxy", detail: "livetape record --sign-upstream \(signUpstream)"),
                redacted: secrets.redactor.secrets.sorted()))
        } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        let recorder = RecordingProxy.recorder(writing: writer, redactor: secrets.redactor) { printError($0.description) }
        let proxy: RecordingProxy
        do {
            proxy = try await RecordingProxy.start(
                configuration: .init(host: host, signPort: signPort, pushPort: pushPort, signUpstream: signUpstream, wsUpstream: wsUpstream,
                                     tls: TLSOptions(caFile: caFile, insecure: insecure, keyLogFile: ProcessInfo.processInfo.environment["SSLKEYLOGFILE"]), log: { printError($0) }),
                recorder: recorder)
        } catch {
            printError("cannot listen on \(host): \(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        let standardOutput = try LineOutput(path: nil)
        standardOutput.write(["sign_url": .string(proxy.signURL), "push_url": .string(proxy.pushURL)])
        standardOutput.flush()

        let counter = isatty(STDERR_FILENO) == 1 ? Task {
            while !Task.isCancelled {
                let (exchanges, messages, open) = proxy.counts
                FileHandle.standardError.write(Data("\rrecorded \(exchanges) exchanges, \(messages) messages; \(open) sessions open ".utf8))
                try? await Task.sleep(for: .seconds(1))
            }
        } : nil
        await SignalWatcher.wait(for: [SIGINT, SIGTERM])
        counter?.cancel()
        await proxy.shutdown()
        let (exchanges, messages, _) = proxy.counts
        do { try writer.close() } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        printError("\(output): \(exchanges) exchanges and \(messages) messages recorded")
    }
}
