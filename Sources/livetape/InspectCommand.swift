import ArgumentParser
import Capture
import Foundation
import Inspection
import JSONKit
import Tape

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a capture on one screen: signing, handshakes, frames, client behaviour, timing.",
        discussion: """
            Reads a tape, or a pcap, pcapng or HAR file (imported in memory as `livetape import` would). Shows the signing exchanges (endpoints, statuses, fetch body size, push_server, cookie names set — never values — and rate-limit answers); the WebSocket handshakes (status, Handshake-Status / Handshake-Msg / Handshake-Options, query keys, subprotocol); the frames (compress_type values, payload types, counts per method, decode errors per method with a first example, unknown methods, unknown field numbers per message path with wire type and an example value); the client (im_enter_room, heartbeat interval, acks against frames with need_ack, need_ack with an empty internal_ext); and the timing (session length, frames/s, gaps).

            --html FILE also writes the account as a self-contained page (no network needed to view it): a timeline chart (viewers, messages per second by method, gift diamonds), the method, unknown-field, decode-error, signing and handshake tables.

            Examples:
              livetape inspect Fixtures/corrupt-messages.tape
              livetape inspect capture.pcapng --format json
              livetape inspect capture.pcapng --html capture.html

            Exit codes: 0 summarized; 2 the input could not be read or the page not written; 64 invalid arguments.
            """
    )

    enum Format: String, ExpressibleByArgument { case text, json }

    @Argument(help: ArgumentHelp("The capture to inspect.", valueName: "tape|pcap|pcapng|har"))
    var input: String

    @Option(help: "Output format: text (one screen) or json.")
    var format: Format = .text

    @Option(help: ArgumentHelp("Also write the account as a self-contained HTML page.", valueName: "file"))
    var html: String?

    func run() throws {
        let report = try Self.report(of: input)
        if let html { try Self.writePage(InspectionHTML.inspectPage(report, source: input), to: html) }
        let out = try LineOutput(path: nil)
        switch format {
        case .json: out.write(report)
        case .text: out.write(line: String(CaptureInspector.text(report).dropLast()))
        }
        out.close()
    }

    /// Writes an `--html` page; exit 2 when it cannot be written.
    static func writePage(_ page: String, to path: String) throws {
        do {
            try Data(page.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printError("\(path): cannot write page: \((error as NSError).localizedDescription)")
            throw ExitCode(ExitCodes.unreadable)
        }
    }

    /// The inspection report of the capture at `path`; exit 2 when it cannot be read.
    static func report(of path: String) throws -> JSONValue {
        var inspector = CaptureInspector()
        do {
            try records(of: path) { inspector.add($0) }
        } catch {
            printError("\(path): \(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        return inspector.report
    }

    /// Every record of a tape, or of a capture imported in memory.
    static func records(of path: String, _ body: (TapeRecord) -> Void) throws {
        guard let file = FileHandle(forReadingAtPath: path) else { throw CLIError.unreadable("cannot read file") }
        let start = [UInt8](file.readData(ofLength: 4096))
        try? file.close()
        let isTape = start.starts(with: Array("{\"format\":\"livetape-tape\"".utf8))
        switch isTape ? nil : CaptureFileKind(detecting: start) {
        case .pcap?, .pcapng?:
            try CaptureImporter.importFile(path).records.forEach(body)
        case .har?:
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.unreadable("cannot read file") }
            try HARImporter.read([UInt8](data)).records.forEach(body)
        case nil:
            for entry in try TapeReader(path: path) {
                if case .success(let record) = entry.result { body(record) }
            }
        }
    }
}
