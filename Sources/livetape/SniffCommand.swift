import ArgumentParser
import Capture
import Foundation
import JSONKit
import Synchronization
import TLSDecryption
import Tape

/// Set by SIGINT/SIGTERM while `sniff` captures.
private let stopCapture = Atomic<Bool>(false)

struct SniffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sniff",
        abstract: "Capture live from a network interface into a tape (libpcap, BPF filter).",
        discussion: """
            Captures TCP on the interface, reassembles connections and writes their HTTP/1.1 exchanges and WebSocket sessions to the tape as they complete, exactly as `livetape import` does for a capture file (docs/import.md); secrets are redacted before anything is written. Needs root or the CAP_NET_RAW capability; without them it says so and exits 2.

            With --keylog, TLS connections are decrypted with the secrets of the client's key log (SSLKEYLOGFILE), read again as the client appends to it; a connection whose keys are not logged yet waits for them.

            On start it prints one JSON line on stdout, {"interface", "filter"}, once the capture is active. It runs until SIGINT or SIGTERM, or --duration; then it writes what is left and a summary to stderr.

            Examples:
              sudo livetape sniff -i eth0 --port 8080 --port 443 -o session.tape
              livetape sniff -i lo --filter 'tcp port 40001' -o local.tape --duration 60
              SSLKEYLOGFILE=~/sslkeys.log chromium & sudo livetape sniff -i eth0 --port 443 --keylog ~/sslkeys.log -o browser.tape

            Exit codes: 0 the tape written; 1 written, but the capture missed bytes (gap records), a connection could not be parsed or a TLS connection or record could not be decrypted; 2 no capture (permissions, no such interface, a bad filter) or the tape could not be written; 64 invalid arguments.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The interface to capture on.", valueName: "iface"))
    var interface: String

    @Option(help: ArgumentHelp("Capture TCP on this port (repeatable); without --port or --filter, all TCP.", valueName: "port"))
    var port: [Int] = []

    @Option(help: ArgumentHelp("A BPF filter instead of --port.", valueName: "expression"))
    var filter: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The tape to write.", valueName: "out.tape"))
    var output: String

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Decrypt TLS connections with the secrets of this key log (SSLKEYLOGFILE format), read again as it grows.", valueName: "keys.log"))
    var keylog: String?

    @OptionGroup var secrets: RedactionOptions

    func validate() throws {
        if filter != nil && !port.isEmpty { throw ValidationError("give --port or --filter, not both") }
        if let bad = port.first(where: { !(1...65535).contains($0) }) { throw ValidationError("ports are 1 to 65535, not \(bad)") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
    }

    private var bpf: String {
        filter ?? (port.isEmpty ? "tcp" : "tcp and (" + port.map { "port \($0)" }.joined(separator: " or ") + ")")
    }

    func run() throws {
        let capture: LiveCapture
        let writer: TapeWriter
        let keys: KeyLogFile?
        do {
            keys = try keylog.map { try KeyLogFile(path: $0, mayAppear: true) }
            capture = try LiveCapture(interface: interface, filter: bpf)
            writer = try TapeWriter(path: output, header: TapeHeader(
                created: Date(), source: TapeSource(kind: "sniff", detail: "livetape sniff -i \(interface) \(bpf)"),
                redacted: secrets.redactor.secrets.sorted()))
        } catch let error as TapeError {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal) { _ in stopCapture.store(true, ordering: .relaxed) }
        }
        let standardOutput = try LineOutput(path: nil)
        standardOutput.write(["interface": .string(interface), "filter": .string(bpf)])
        standardOutput.flush()

        var importer = CaptureImporter(keyLog: keys?.keyLog, waitsForKeys: true)
        var redactor = secrets.redactor
        let started = Date()
        var lastDrain = Date()
        var failure: String?
        func write(_ records: [TapeRecord]) throws {
            for record in records { try writer.append(redactor.redact(record)) }
        }
        do {
            while !stopCapture.load(ordering: .relaxed), duration.map({ Date().timeIntervalSince(started) < $0 }) ?? true {
                if let packet = try capture.next() { importer.add(packet, linkType: capture.linkType) }
                if Date().timeIntervalSince(lastDrain) > 0.5 {
                    lastDrain = Date()
                    if let keys, keys.refresh() { importer.keyLog = keys.keyLog }
                    // Records older than 5 s are final: write them as the capture goes.
                    let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
                    let horizon = importer.elapsed(at: now)
                    try write(importer.drain(before: horizon > 5_000_000 ? horizon - 5_000_000 : 0))
                }
            }
        } catch let error as CaptureError {
            failure = error.description
        }
        if let keys, keys.refresh() { importer.keyLog = keys.keyLog }
        do {
            try write(importer.finish())
            try writer.close()
        } catch {
            printError("\(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        let s = importer.summary
        printError("\(output): \(s.summaryLine(keyLog: keys != nil))")
        for problem in (keys?.problems ?? []) + s.unparsed + s.undecryptedTLS + s.resynchronized { printError(problem) }
        if let failure { printError("the capture stopped: \(failure)") }
        if s.lostData || failure != nil || !(keys?.problems.isEmpty ?? true) { throw ExitCode(ExitCodes.findings) }
    }
}
