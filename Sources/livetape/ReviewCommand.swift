import ArgumentParser
import Foundation
import Transcript

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Accept or reject the pending goldens that `livetape check` wrote.",
        discussion: """
            `livetape check` writes each difference beside its golden as <golden>.new. Review shows \
            the differences of each and, on a terminal, asks whether to accept it (the .new replaces \
            the golden) or reject it (the .new is deleted). --accept-all and --reject-all decide for \
            every pending golden without asking.

            Exit codes: 0 done; 2 unusable input; 64 invalid arguments (e.g. no terminal and no \
            --accept-all / --reject-all).
            """
    )

    @Argument(help: ArgumentHelp("Directories to search for pending goldens.", valueName: "dir"))
    var directories: [String] = ["Fixtures"]

    @Flag(help: "Accept every pending golden.")
    var acceptAll = false

    @Flag(help: "Reject every pending golden.")
    var rejectAll = false

    func validate() throws {
        if acceptAll && rejectAll { throw ValidationError("give --accept-all or --reject-all, not both") }
        if !acceptAll && !rejectAll && isatty(STDIN_FILENO) == 0 {
            throw ValidationError("standard input is not a terminal: give --accept-all or --reject-all")
        }
    }

    private enum Decision { case accept, reject, skip, quit }

    func run() throws {
        let pending: [String]
        do { pending = try FixtureFiles.scan(directories).pending } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        if pending.isEmpty { print("no pending goldens") }
        var accepted = 0, rejected = 0
        for path in pending {
            let golden = String(path.dropLast(".new".count))
            let decision: Decision
            if acceptAll {
                decision = .accept
            } else if rejectAll {
                decision = .reject
            } else {
                show(pending: path, golden: golden)
                decision = ask()
            }
            do {
                switch decision {
                case .accept:
                    if FileManager.default.fileExists(atPath: golden) { try FileManager.default.removeItem(atPath: golden) }
                    try FileManager.default.moveItem(atPath: path, toPath: golden)
                    accepted += 1
                    print("accepted \(golden)")
                case .reject:
                    try FileManager.default.removeItem(atPath: path)
                    rejected += 1
                    print("rejected \(path)")
                case .skip:
                    print("skipped  \(path)")
                case .quit:
                    print("\(accepted) accepted, \(rejected) rejected")
                    return
                }
            } catch {
                printError("\(path): \(error.localizedDescription)")
                throw ExitCode(ExitCodes.unreadable)
            }
        }
        print("\(accepted) accepted, \(rejected) rejected")
    }

    private func show(pending: String, golden: String) {
        guard FileManager.default.fileExists(atPath: golden) else {
            print("=== \(pending): a new golden")
            return
        }
        print("=== \(golden) → \(pending)")
        do {
            print(try compareTranscripts(expected: golden, actual: pending, ignore: IgnoreRules()).text, terminator: "")
        } catch {
            print("    cannot compare: \(error)")
        }
    }

    private func ask() -> Decision {
        while true {
            print("accept this golden? [y]es, [n]o (delete it), [s]kip, [q]uit: ", terminator: "")
            fflush(nil)
            guard let answer = readLine()?.lowercased() else { return .quit }
            switch answer.first {
            case "y": return .accept
            case "n": return .reject
            case "s": return .skip
            case "q": return .quit
            default: continue
            }
        }
    }
}
