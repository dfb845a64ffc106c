import ArgumentParser
import Foundation
import JSONKit
import Synchronization
import Transcript
import WebcastDecoder
import WireKit

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decode every tape and compare each view with its golden transcript (the CI regression run).",
        discussion: """
            For every .tape under the directories (default: Fixtures), decodes the wire and events \
            views and compares each with <tape name>.<view>.golden.jsonl beside it, ignoring the \
            paths listed in volatile-fields.txt in the directory (one pattern per line) and --ignore.

            Record modes, as snapshot tools have them:
              none     never write; fail on a missing or different golden (the default)
              missing  write goldens that do not exist yet
              all      rewrite every golden that differs
            A difference found in mode none or missing is written beside the golden as a pending \
            <golden>.new, for `livetape review`. When the environment variable CI is set, nothing \
            is written at all unless --allow-ci-writes is given.

            A golden without its tape, or a pending .new left behind, fails the check; \
            --clean-orphans deletes them instead.

            Then every tape is also replayed offline (`livetape replay`: the mock servers and the \
            tape's client over loopback) and the replay's transcripts are compared with the same \
            goldens, ignoring what the mocks move on purpose (capture times, server URLs, the \
            fetch result's push_server and size); a client that deviates from the tape fails too. \
            --no-replay skips this pass.

            Exit codes: 0 every golden matches; 1 a difference, a missing golden or an orphan; \
            2 unusable input; 64 invalid arguments.
            """
    )

    enum RecordMode: String, ExpressibleByArgument, CaseIterable {
        case none, missing, all
    }

    @Argument(help: ArgumentHelp("Directories to search for tapes.", valueName: "dir"))
    var directories: [String] = ["Fixtures"]

    @Option(help: "Which goldens to write: none, missing or all.")
    var record: RecordMode = .none

    @Flag(help: "Write goldens and pending files even when CI is set.")
    var allowCIWrites = false

    @Flag(help: "Delete goldens without a tape and leftover pending files instead of failing.")
    var cleanOrphans = false

    @Option(help: ArgumentHelp("Check only shard K of N (a stable subset of the tapes).", valueName: "K/N"))
    var shard: Shard?

    @Option(name: .shortAndLong, help: "Tapes decoded in parallel (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("view"), help: "Check only this view (repeatable; default: wire and events).")
    var views: [TranscriptView] = []

    @Option(help: ArgumentHelp("Ignore differences at paths matching this pattern (repeatable).", valueName: "pattern"))
    var ignore: [String] = []

    @Option(help: ArgumentHelp("Also write a JUnit XML report here.", valueName: "file"))
    var junit: String?

    @Flag(inversion: .prefixedNo, help: "Also replay every tape through the mock servers and compare with the goldens.")
    var replay = true

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    /// Whether this run may write files.
    private var mayWrite: Bool {
        ProcessInfo.processInfo.environment["CI"].map { $0.isEmpty } ?? true || allowCIWrites
    }

    func run() async throws {
        let files: FixtureFiles
        do { files = try FixtureFiles.scan(directories) } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        let tapes = files.tapes.filter { shard?.contains($0) ?? true }
        let checkedViews = views.isEmpty ? TranscriptView.allCases : views
        let results = Mutex<[Int: TapeCheck]>([:])
        let options = self
        DispatchQueue.concurrentPerform(iterations: min(jobs, max(tapes.count, 1))) { worker in
            for index in stride(from: worker, to: tapes.count, by: options.jobs) {
                let outcome = options.check(tape: tapes[index], views: checkedViews)
                results.withLock { $0[index] = outcome }
            }
        }
        let checks = results.withLock { all in tapes.indices.compactMap { all[$0] } }
        var failed = checks.contains { !$0.passed }

        for check in checks { print(check.summaryLine) }
        for check in checks where !check.passed { print(check.details, terminator: "") }

        let leftovers = files.orphanGoldens.filter { shard?.contains($0) ?? true } + files.pending.filter { path in
            // A pending file written by this run is the run's own output, not a leftover.
            !checks.contains { $0.writtenPending.contains(path) }
        }
        for path in leftovers {
            if cleanOrphans, mayWrite {
                try? FileManager.default.removeItem(atPath: path)
                print("removed  \(path)")
            } else {
                print("ORPHAN   \(path)" + (path.hasSuffix(".new") ? " (pending golden; run livetape review)" : " (no tape)"))
                failed = true
            }
        }
        if replay {
            for check in checks where !check.unusable {
                let replayed = await ReplayCheck.run(tape: check.tape, views: checkedViews, ignore: (try? ignorePatterns(for: check.tape)) ?? IgnoreRules())
                print(replayed.summaryLine)
                if !replayed.passed {
                    print(replayed.details, terminator: "")
                    failed = true
                }
            }
        }
        print(CheckTable.render(checks, views: checkedViews))
        if let junit {
            do {
                try CheckTable.junit(checks).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                printError("\(junit): cannot write the JUnit report: \(error.localizedDescription)")
                throw ExitCode(ExitCodes.unreadable)
            }
        }
        if checks.contains(where: { $0.unusable }) { throw ExitCode(ExitCodes.unreadable) }
        if failed { throw ExitCode(ExitCodes.findings) }
    }

    /// Decodes one tape once, in every view, and compares each transcript with its golden,
    /// writing per the record mode.
    private func check(tape: String, views: [TranscriptView]) -> TapeCheck {
        var check = TapeCheck(tape: tape)
        let actual = views.map { _ in NSTemporaryDirectory() + "livetape-check-\(UUID().uuidString).jsonl" }
        defer { actual.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        do {
            let counts = try writeTranscripts(of: tape, views: views, to: actual)
            for (index, view) in views.enumerated() { check.records[view] = counts[index] }
        } catch {
            for view in views { check.outcomes[view] = .unusable("\(error)") }
            return check
        }
        for (index, view) in views.enumerated() {
            let golden = FixtureFiles.golden(for: tape, view: view)
            do {
                guard FileManager.default.fileExists(atPath: golden) else {
                    if record != .none, mayWrite {
                        try FileManager.default.copyItem(atPath: actual[index], toPath: golden)
                        check.outcomes[view] = .written
                    } else {
                        check.outcomes[view] = .missingGolden
                    }
                    continue
                }
                let comparison = try compareTranscripts(expected: golden, actual: actual[index], ignore: ignorePatterns(for: tape))
                if comparison.isSame {
                    check.outcomes[view] = .same
                } else if record == .all, mayWrite {
                    try replace(golden, with: actual[index])
                    check.outcomes[view] = .updated(comparison)
                } else {
                    if mayWrite {
                        let pending = FixtureFiles.pending(for: golden)
                        try replace(pending, with: actual[index])
                        check.writtenPending.append(pending)
                    }
                    check.outcomes[view] = .differs(comparison)
                }
            } catch {
                check.outcomes[view] = .unusable("\(error)")
            }
        }
        return check
    }

    private func replace(_ path: String, with source: String) throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.copyItem(atPath: source, toPath: path)
    }

    /// The `volatile-fields.txt` patterns of the tape's directory, plus --ignore.
    private func ignorePatterns(for tape: String) throws(TranscriptError) -> IgnoreRules {
        let file = ((tape as NSString).deletingLastPathComponent as NSString).appendingPathComponent("volatile-fields.txt")
        var rules = FileManager.default.fileExists(atPath: file) ? try IgnoreRules.load(path: file) : IgnoreRules()
        rules.add(contentsOf: IgnoreRules(ignore))
        return rules
    }

    /// Writes the tape's transcript of each view to the path at the same position; returns their record counts.
    private func writeTranscripts(of tape: String, views: [TranscriptView], to paths: [String]) throws -> [Int] {
        let outputs = try paths.map { try LineOutput(path: $0) }
        defer { outputs.forEach { $0.close() } }
        var counts = [Int](repeating: 0, count: views.count)
        let viewCount = views.count
        _ = try transcribeTape(path: tape, views: views, decoder: PushFrameDecoder(),
                               sinks: { [JSONLines](repeating: JSONLines(), count: viewCount) }) { byView in
            for (index, lines) in byView.enumerated() {
                outputs[index].write(lines)
                counts[index] += lines.count
            }
        }
        return counts
    }
}
