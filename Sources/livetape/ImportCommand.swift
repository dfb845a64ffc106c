import ArgumentParser
import Capture
import Foundation
import TLSDecryption
import Tape

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a capture made elsewhere (pcap, pcapng, or a browser's HAR export) into a tape.",
        discussion: """
            The file's kind is told by its content. A pcap or pcapng file (read with libpcap; \
            Ethernet, Linux cooked SLL/SLL2, loopback/NULL and raw IP links, IPv4 and IPv6): TCP \
            connections are reassembled (reordered, retransmitted and overlapping segments, \
            sequence wrap-around, captures without the SYN), and their HTTP/1.1 exchanges and \
            WebSocket sessions (unmasked, fragments joined, permessage-deflate inflated) become \
            records; bytes the capture missed become gap records, never spliced data. TLS \
            connections are listed and skipped, unless --keylog names the key log of the client \
            (SSLKEYLOGFILE, as Chrome, Firefox, curl and OpenSSL write it): then TLS 1.2 and 1.3 \
            with AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305 are decrypted and the streams \
            inside imported (https:// and wss:// URLs). A HAR (DevTools > Network > "Save all as HAR \
            with content"): every HTTP entry becomes an exchange, every WebSocket entry (Chrome's \
            _webSocketMessages) a connection with its messages, in time order; t_us counts from \
            the earliest timestamp in the file. A connection whose close frame the HAR does not \
            hold is closed "abnormal". Mapping rules: docs/import.md.

            Secrets are redacted as by livetape redact (--keep and --redact adjust the list); the \
            header's "redacted" list names those found. A summary goes to standard error.

            Examples:
              livetape import capture.pcapng -o session.tape
              livetape import browser.pcapng --keylog ~/sslkeys.log -o session.tape
              livetape import session.har -o session.tape
              livetape import session.har -o signing.tape --only-signing

            Exit codes: 0 tape written; 1 tape written without what could not be imported (HAR \
            entries named on standard error, e.g. entries[17].request.url; capture gaps, \
            connections that could not be parsed, a capture file cut short, key log lines that \
            could not be read, TLS connections or records that could not be decrypted — each \
            named with its connection, direction, record and byte offset); 2 the input is none of \
            these (malformed JSON is named with its byte offset), the key log cannot be read or \
            the tape could not be written; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The capture to import.", valueName: "capture.pcap|session.har"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the tape to this file.", valueName: "out.tape"))
    var output: String

    @Flag(help: "Keep only the signing service's HTTP exchanges (/webcast/fetch, /webcast/sign_url, /webcast/room_id, /webcast/rate_limits, /api/eulerstream, /webcast/im/fetch) and the WebSocket connections.")
    var onlySigning = false

    @Option(help: ArgumentHelp("Decrypt TLS connections with the secrets of this key log (SSLKEYLOGFILE format).", valueName: "keys.log"))
    var keylog: String?

    @OptionGroup var secrets: RedactionOptions

    func run() throws {
        let imported: HARImport
        do {
            guard let file = FileHandle(forReadingAtPath: input) else { throw CLIError.unreadable("cannot read file") }
            let start = [UInt8](file.readData(ofLength: 4096))
            try? file.close()
            switch CaptureFileKind(detecting: start) {
            case .har?:
                if keylog != nil { printError("\(input): --keylog is for packet captures; a HAR holds no TLS") }
                guard let data = FileManager.default.contents(atPath: input) else { throw CLIError.unreadable("cannot read file") }
                imported = try HARImporter.read([UInt8](data), onlySigning: onlySigning)
            case .pcap?, .pcapng?:
                return try importCapture()
            case nil:
                throw CLIError.unreadable("not a pcap, pcapng or HAR file (a JSON object with log.entries)")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(input): \(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        for problem in imported.problems { printError("\(input): \(problem)") }

        var redactor = secrets.redactor
        let records = imported.records.map { redactor.redact($0) }
        do {
            let header = TapeHeader(created: imported.start ?? Date(), source: TapeSource(kind: "har", detail: URL(fileURLWithPath: input).lastPathComponent),
                                    redacted: redactor.redacted)
            let writer = try TapeWriter(path: output, header: header)
            for record in records { try writer.append(record) }
            try writer.close()
        } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }

        func count(_ n: Int, _ noun: String, _ plural: String? = nil) -> String { "\(n) \(n == 1 ? noun : plural ?? noun + "s")" }
        let kinds = records.map(\.kind)
        var summary = "\(input): \(count(imported.entries, "entry", "entries")) → \(count(kinds.filter { $0 == "http" }.count, "exchange")), "
            + "\(count(kinds.filter { $0 == "ws_open" }.count, "WebSocket connection")), \(count(kinds.filter { $0 == "ws_message" }.count, "message"))"
        if onlySigning { summary += "; \(imported.filtered) left out by --only-signing" }
        summary += "; \(imported.problems.count) skipped\(imported.problems.isEmpty ? "" : " (named above)")"
        printError(summary)
        if imported.responsesWithoutContent > 0 {
            printError("\(input): \(count(imported.responsesWithoutContent, "response")) without content in the HAR, imported with empty bodies (save the HAR \"with content\")")
        }
        if !imported.problems.isEmpty { throw ExitCode(ExitCodes.findings) }
    }

    /// A pcap or pcapng file: reassembled, parsed, redacted and written as it goes; on a
    /// terminal, a progress line (bytes read of the total, rate, time left).
    private func importCapture() throws {
        var redactor = secrets.redactor
        let result: (summary: CaptureImporter.Summary, readError: CaptureError?)
        let progress = ProgressLine(total: (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0)
        let keys: KeyLogFile?
        do {
            keys = try keylog.map { try KeyLogFile(path: $0) }
        } catch {
            printError("\(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        for problem in keys?.problems ?? [] { printError("\(problem) (line skipped)") }
        do {
            _ = try PcapFile(path: input)  // a file libpcap cannot read gives no tape at all
            let header = TapeHeader(created: Date(), source: TapeSource(kind: "pcap", detail: URL(fileURLWithPath: input).lastPathComponent),
                                    redacted: redactor.secrets.sorted())
            let writer = try TapeWriter(path: output, header: header)
            result = try CaptureImporter.importFile(input, keyLog: keys?.keyLog, progress: progress.update) { records in
                try writer.append(contentsOf: records.lazy.filter { record in
                    if onlySigning, case .http(let e) = record { HARImporter.isSigning(e.request.url) } else { true }
                }.map { redactor.redact($0) })
            }
            try writer.close()
        } catch let error as TapeError {
            progress.end()
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        } catch {
            progress.end()
            printError("\(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        progress.end()
        let s = result.summary
        printError("\(input): \(s.summaryLine(keyLog: keys != nil))")
        for tls in s.skippedTLS { printError("\(input): TLS \(tls) skipped (encrypted; --keylog decrypts it)") }
        for tls in s.decryptedTLS { printError("\(input): TLS \(tls), decrypted") }
        for problem in s.unparsed + s.undecryptedTLS { printError("\(input): \(problem)") }
        for note in s.resynchronized { printError("\(input): \(note)") }
        if let readError = result.readError { printError("\(readError) (the tape holds what came before)") }
        if s.lostData || result.readError != nil || !(keys?.problems.isEmpty ?? true) { throw ExitCode(ExitCodes.findings) }
    }
}

/// A progress line on standard error, drawn only when it is a terminal: bytes done of the
/// total, the rate and the time left.
final class ProgressLine {
    private let total: Int
    private let started = Date()
    private let visible = isatty(STDERR_FILENO) == 1
    private var drawn = false

    init(total: Int) {
        self.total = total
    }

    func update(_ done: Int) {
        guard visible, total > 0 else { return }
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done) / seconds
        let left = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "\r%5.1f%%  %.1f of %.1f MB  %.1f MB/s  %.0f s left ", 100 * Double(done) / Double(total),
                          Double(done) / 1e6, Double(total) / 1e6, rate / 1e6, left)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func end() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension CaptureImporter.Summary {
    /// What was imported, in one line.
    func summaryLine(keyLog: Bool) -> String {
        "\(packets) packets, \(connections) TCP connections → \(exchanges) exchanges, \(webSocketSessions) WebSocket sessions, "
            + "\(messages) messages, \(gaps) gaps; "
            + (keyLog ? "\(decryptedTLS.count) TLS connections decrypted, \(undecryptedTLS.count) TLS problems" : "\(skippedTLS.count) TLS connections skipped")
    }

    /// Whether something the capture held is not in the tape.
    var lostData: Bool { gaps > 0 || !unparsed.isEmpty || !undecryptedTLS.isEmpty }
}
