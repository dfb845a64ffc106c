import ArgumentParser
import FixtureSynth
import Foundation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Synthesize a tape of a TikTok LIVE session from a seeded scenario.",
        discussion: """
            A scenario is a small JSON file (see Fixtures/scenarios/README.md): seed, room, duration, number of server frames, compression, heartbeat interval, need_ack ratio, an optional handshake rejection and defects to plant. The same scenario always gives a byte-identical tape.

            Examples:
              livetape synth Fixtures/scenarios/corrupt-messages.json -o corrupt.tape
              livetape synth --demo -o session.tape

            Exit codes: 0 tape written; 2 the scenario could not be read or is invalid, or the tape could not be written; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The scenario to synthesize.", valueName: "scenario.json"))
    var scenario: String?

    @Flag(help: "Synthesize the built-in demo session (the same as Fixtures/scenarios/session-5min.json).")
    var demo = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the tape to this file.", valueName: "out.tape"))
    var output: String

    func validate() throws {
        if demo && scenario != nil { throw ValidationError("give a scenario file or --demo, not both") }
        if !demo && scenario == nil { throw ValidationError("give a scenario file, or --demo for the built-in session") }
    }

    func run() throws {
        let chosen: Scenario
        if demo {
            chosen = .demo
        } else {
            do {
                chosen = try Scenario.load(path: scenario ?? "")
            } catch {
                printError(error.description)
                throw ExitCode(ExitCodes.unreadable)
            }
        }
        do {
            try Synthesizer.write(chosen, to: output)
        } catch {
            let detail = (error as? ScenarioError)?.description ?? (error as NSError).localizedDescription
            printError("\(output): cannot write tape: \(detail)")
            throw ExitCode(ExitCodes.unreadable)
        }
    }
}
