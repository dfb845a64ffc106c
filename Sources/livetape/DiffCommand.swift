import ArgumentParser
import Foundation
import Transcript

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two transcripts semantically: what changed, record by record.",
        discussion: """
            Records are aligned by identity (frame seq_id and log_id, message msg_id and method, \
            ...), so an inserted or dropped record shows as one addition or removal, not as a wall \
            of changes. Each change is named with its path and both values, e.g. \
            `frame 41 › WebcastGiftMessage 7291…03 › repeat_count: 3 → 4`; unknown fields and \
            decode errors that appeared or vanished are named as such. See docs/diff.md.

            Colour is used on a terminal unless NO_COLOR is set.

            Exit codes: 0 the transcripts are the same (ignored paths aside); 1 they differ; \
            2 unusable input (a missing file, a malformed line, transcripts of different views \
            or versions); 64 invalid arguments.
            """
    )

    enum Format: String, ExpressibleByArgument {
        case text, json
    }

    @Argument(help: ArgumentHelp("The expected transcript (e.g. a golden).", valueName: "expected"))
    var expected: String

    @Argument(help: ArgumentHelp("The actual transcript.", valueName: "actual"))
    var actual: String

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: ArgumentHelp("Also write a JUnit XML report here (one test case per record group).", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Ignore differences at paths matching this pattern (repeatable), e.g. '*.common.create_time'.", valueName: "pattern"))
    var ignore: [String] = []

    @Option(help: ArgumentHelp("Read ignore patterns from this file (one per line, # comments).", valueName: "file"))
    var ignoreFile: String?

    @Option(help: "Records held for realignment after an insertion or removal.")
    var window: Int = DiffOptions().window

    func validate() throws {
        if window < 1 { throw ValidationError("--window must be at least 1") }
    }

    func run() throws {
        let report: DiffReport
        do {
            var rules = try ignoreFile.map { path throws(TranscriptError) in try IgnoreRules.load(path: path) } ?? IgnoreRules()
            rules.add(contentsOf: IgnoreRules(ignore))
            report = try TranscriptDiff.diff(expected: expected, actual: actual, options: DiffOptions(window: window, ignore: rules))
        } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        switch format {
        case .text:
            let colour = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
            print(TextReportRenderer(colour: colour).render(report), terminator: "")
        case .json:
            print(JSONReportRenderer.render(report))
        }
        if let junit {
            do {
                try JUnitReportRenderer().render([report]).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                printError("\(junit): cannot write the JUnit report: \(error.localizedDescription)")
                throw ExitCode(ExitCodes.unreadable)
            }
        }
        if !report.isIdentical { throw ExitCode(ExitCodes.findings) }
    }
}
