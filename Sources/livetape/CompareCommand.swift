import ArgumentParser
import Foundation
import Inspection
import JSONKit

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two captures at the protocol level: what changed, likely cause of a breakage first.",
        discussion: """
            Reads two captures (tapes, or anything `livetape inspect` reads) and lists what changed: handshake status and parameters, signing statuses, push_server and fetch body size, new compress_type values, decode errors that appeared, methods that vanished, unknown methods and unknown fields that appeared or changed wire type, need_ack without internal_ext, and per message path the fields that appeared, vanished or changed value type (of the methods both carry). Ranked: what breaks clients first.

            Examples:
              livetape compare yesterday.tape today.pcapng
              livetape compare old.tape new.tape --format json

            Exit codes: 0 nothing changed; 1 something did; 2 an input could not be read; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The capture that worked.", valueName: "old"))
    var old: String

    @Argument(help: ArgumentHelp("The capture to diagnose.", valueName: "new"))
    var new: String

    @Option(help: "Output format: text or json.")
    var format: InspectCommand.Format = .text

    func run() throws {
        var reports: [JSONValue] = []
        for path in [old, new] {
            var inspector = CaptureInspector()
            do {
                try InspectCommand.records(of: path) { inspector.add($0) }
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(ExitCodes.unreadable)
            }
            reports.append(inspector.report)
        }
        let comparison = CaptureComparison(old: reports[0], new: reports[1])
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
