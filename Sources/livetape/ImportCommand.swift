import ArgumentParser
import Capture
import Foundation
import Tape

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a capture made elsewhere (a browser's HAR export) into a tape.",
        discussion: """
            The file's kind is told by its content. A HAR (DevTools > Network > "Save all as HAR \
            with content"): every HTTP entry becomes an exchange, every WebSocket entry (Chrome's \
            _webSocketMessages) a connection with its messages, in time order; t_us counts from \
            the earliest timestamp in the file. A connection whose close frame the HAR does not \
            hold is closed "abnormal". Mapping rules: docs/import.md. pcap and pcapng files are \
            recognised but not imported yet.

            Secrets are redacted as by livetape redact (--keep and --redact adjust the list); the \
            header's "redacted" list names those found. A summary goes to standard error.

            Examples:
              livetape import session.har -o session.tape
              livetape import session.har -o signing.tape --only-signing

            Exit codes: 0 tape written; 1 tape written without the entries that could not be \
            imported (each named on standard error, e.g. entries[17].request.url); 2 the input is \
            not a HAR (malformed JSON is named with its byte offset), a pcap or pcapng file, or \
            the tape could not be written; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The capture to import.", valueName: "session.har"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the tape to this file.", valueName: "out.tape"))
    var output: String

    @Flag(help: "Keep only the signing service's HTTP exchanges (/webcast/fetch, /webcast/sign_url, /webcast/room_id, /webcast/rate_limits, /api/eulerstream, /webcast/im/fetch) and the WebSocket connections.")
    var onlySigning = false

    @OptionGroup var secrets: RedactionOptions

    func run() throws {
        let imported: HARImport
        do {
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError.unreadable("cannot read file") }
            let bytes = [UInt8](data)
            switch CaptureFileKind(detecting: bytes) {
            case .har?: imported = try HARImporter.read(bytes, onlySigning: onlySigning)
            case .pcap?, .pcapng?: throw CLIError.unreadable("pcap/pcapng import: not supported yet")
            case nil: throw CLIError.unreadable("not a HAR file (a JSON object with log.entries), nor pcap or pcapng")
            }
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
}
