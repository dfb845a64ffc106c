import ArgumentParser
import FixtureSynth
import Foundation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Synthesize a tape of a TikTok LIVE session from a seeded scenario.",
        discussion: """
            A scenario is a small JSON file (see Fixtures/scenarios/README.md): seed, room, duration, number of server frames, compression, heartbeat interval, need_ack ratio, an optional handshake rejection, defects to plant and protocol changes. The same scenario always gives a byte-identical tape.

            --changed-set DIR writes the changed-protocol fixture set instead: DIR/base.tape (the scenario, or a built-in one-minute session when none is given) and one DIR/<variant>.tape per real-world kind of protocol change (\(ProtocolVariant.allCases.map(\.rawValue).joined(separator: ", "))), each differing from the base in that change only. `livetape compare DIR/base.tape DIR/<variant>.tape` names it first.

            Examples:
              livetape synth Fixtures/scenarios/corrupt-messages.json -o corrupt.tape
              livetape synth --demo -o session.tape
              livetape synth --changed-set changed/

            Exit codes: 0 tape written; 2 the scenario could not be read or is invalid, or the tape could not be written; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The scenario to synthesize.", valueName: "scenario.json"))
    var scenario: String?

    @Flag(help: "Synthesize the built-in demo session (the same as Fixtures/scenarios/session-5min.json).")
    var demo = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the tape to this file.", valueName: "out.tape"))
    var output: String?

    @Option(help: ArgumentHelp("Write the changed-protocol fixture set into this directory.", valueName: "dir"))
    var changedSet: String?

    func validate() throws {
        if demo && scenario != nil { throw ValidationError("give a scenario file or --demo, not both") }
        if (output == nil) == (changedSet == nil) { throw ValidationError("give -o for one tape, or --changed-set for the changed-protocol set") }
        if output != nil && !demo && scenario == nil { throw ValidationError("give a scenario file, or --demo for the built-in session") }
    }

    func run() throws {
        let chosen: Scenario
        if demo {
            chosen = .demo
        } else if let scenario {
            do {
                chosen = try Scenario.load(path: scenario)
            } catch {
                printError(error.description)
                throw ExitCode(ExitCodes.unreadable)
            }
        } else {
            chosen = ProtocolVariant.base
        }
        guard let changedSet else { return try write(chosen, to: output ?? "") }
        do {
            try FileManager.default.createDirectory(atPath: changedSet, withIntermediateDirectories: true)
        } catch {
            printError("\(changedSet): cannot create directory: \((error as NSError).localizedDescription)")
            throw ExitCode(ExitCodes.unreadable)
        }
        try write(chosen, to: changedSet + "/base.tape")
        for variant in ProtocolVariant.allCases {
            try write(variant.apply(to: chosen), to: changedSet + "/\(variant.rawValue).tape")
        }
    }

    private func write(_ scenario: Scenario, to path: String) throws {
        do {
            try Synthesizer.write(scenario, to: path)
        } catch {
            let detail = (error as? ScenarioError)?.description ?? (error as NSError).localizedDescription
            printError("\(path): cannot write tape: \(detail)")
            throw ExitCode(ExitCodes.unreadable)
        }
    }
}
