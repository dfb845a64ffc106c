import ArgumentParser
import Foundation
import Inspection
import JSONKit

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two captures at the protocol level: what changed, likely cause of a breakage first.",
        discussion: """
            Reads two captures (tapes, or anything `livetape inspect` reads) and lists what changed: handshake status and parameters, signing statuses, push_server and fetch body size, new compress_type values (first when their payloads no longer read), decode errors that appeared, frames that stopped, methods that vanished or were renamed, declared fields arriving with another wire type, unknown methods and unknown fields that appeared or changed wire type, need_ack without internal_ext, and per message path the fields that appeared, vanished or changed value type (of the methods both carry). Ranked: what breaks clients first (docs/inspect.md lists the ranks).

            Differences that sampling explains are left out: something seen in one capture counts as gone from (or new in) the other only when seen at least 3 times, at a rate at which the other capture would have shown it 5 times or more. Value distributions are compared per field path: a field always 0 or empty that is now set, a string field whose values are no longer valid UTF-8, integers whose magnitude moved by two orders or more, an enum-like field with new values.

            --html FILE also writes a self-contained page: the changes ranked, then both captures side by side (timelines on one scale, methods, unknown fields, decode errors, signing, handshake, client).

            Examples:
              livetape compare yesterday.tape today.pcapng
              livetape compare old.tape new.tape --format json --html changes.html

            Exit codes: 0 nothing changed; 1 something did; 2 an input could not be read or the page not written; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The capture that worked.", valueName: "old"))
    var old: String

    @Argument(help: ArgumentHelp("The capture to diagnose.", valueName: "new"))
    var new: String

    @Option(help: "Output format: text or json.")
    var format: InspectCommand.Format = .text

    @Option(help: ArgumentHelp("Also write the comparison as a self-contained HTML page.", valueName: "file"))
    var html: String?

    func run() throws {
        let reports = try [old, new].map(InspectCommand.report(of:))
        let comparison = CaptureComparison(old: reports[0], new: reports[1])
        if let html {
            try InspectCommand.writePage(InspectionHTML.comparePage(comparison, old: reports[0], new: reports[1], oldSource: old, newSource: new), to: html)
        }
        let out = try LineOutput(path: nil)
        switch format {
        case .json:
            out.write(.array(comparison.changes.map(\.json)))
        case .text:
            if comparison.changes.isEmpty { out.write(line: "no protocol changes") }
            for change in comparison.changes { out.write(line: change.line) }
        }
        out.close()
        if !comparison.changes.isEmpty { throw ExitCode(ExitCodes.findings) }
    }
}
