import ArgumentParser
import Foundation
import Tape

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Replace the secrets in a tape by placeholders, so that it can be shared.",
        discussion: """
            Each secret value becomes <redacted:NAME:N>, the same value the same placeholder \
            throughout the tape, so that replays still match. Redacted by default: the headers \
            x-api-key, authorization, proxy-authorization and x-ms-token; the query parameters \
            apiKey, msToken, X-Bogus, X-Gnarly, signature, _signature, sessionid and ttwid (also in \
            form and text bodies and in URLs inside JSON); the login and visitor cookies (sessionid, \
            sid_tt, sid_guard, ttwid, msToken, tt_csrf_token, …) in every header; and JSON keys of \
            those names plus session_id, api_key, cookie and cookies, at any depth. Binary bodies \
            and WebSocket payloads are left alone. Name secrets as the header's "redacted" list \
            does: a header name, query:NAME, cookie:NAME or json:KEY (see docs/tape-format.md).

            The tape is read twice (constant memory): once to list the secrets found for the new \
            header's "redacted" list, once to write the records.

            Examples:
              livetape redact session.tape -o session-shared.tape
              livetape redact in.tape -o out.tape --keep cookie:ttwid --redact json:token

            Exit codes: 0 tape written; 1 tape written without the records that could not be read \
            (each named on standard error with its file and line; a record whose t_us goes \
            backwards is named and kept); 2 the input could not be read or the output not written; \
            64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The tape to redact.", valueName: "in.tape"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the redacted tape to this file.", valueName: "out.tape"))
    var output: String

    @OptionGroup var secrets: RedactionOptions

    func validate() throws {
        var inputFile = stat(), outputFile = stat()
        if stat(input, &inputFile) == 0, stat(output, &outputFile) == 0,
           inputFile.st_dev == outputFile.st_dev, inputFile.st_ino == outputFile.st_ino {
            throw ValidationError("-o names the input tape; write the redacted tape to another file")
        }
    }

    func run() throws {
        var problems = 0
        do throws(TapeError) {
            let reader = try TapeReader(path: input)
            let configured = secrets.redactor
            // The header comes first but lists the secrets the records hold: a first pass finds them.
            var survey = configured
            for entry in reader {
                if let record = Self.record(entry) { _ = survey.redact(record) }
            }
            var header = reader.header
            header.redacted += survey.redacted.filter { !header.redacted.contains($0) }

            var redactor = configured
            let writer = try TapeWriter(path: output, header: header)
            for entry in reader {
                if case .failure(let error) = entry.result {
                    if case .io = error { throw error }
                    printError(error.description)
                    problems += 1
                }
                if let record = Self.record(entry) { try writer.append(redactor.redact(record)) }
            }
            try writer.close()
        } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        if problems > 0 {
            printError("\(problems) bad record\(problems == 1 ? "" : "s") in \(input) (named above)")
            throw ExitCode(ExitCodes.findings)
        }
    }

    /// The entry's record, or the record read despite its error (a `t_us` that went backwards).
    private static func record(_ entry: TapeEntry) -> TapeRecord? {
        switch entry.result {
        case .success(let record): record
        case .failure(let error): error.recoveredRecord
        }
    }
}

/// `--keep` and `--redact`, shared by `redact` and `record`.
struct RedactionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Leave a secret of the default list as it is (repeatable), e.g. query:msToken.", valueName: "name"))
    var keep: [String] = []

    @Option(help: ArgumentHelp("Also redact this secret (repeatable): a header name, query:NAME, cookie:NAME or json:KEY.", valueName: "name"))
    var redact: [String] = []

    func validate() throws {
        for name in keep + redact where !Redactor.isValidName(name) {
            throw ValidationError("'\(name)' does not name a secret: give a header name, query:NAME, cookie:NAME or json:KEY")
        }
        for name in keep where !Redactor.defaultSecrets.contains(name.lowercased()) {
            throw ValidationError("--keep \(name): not redacted by default")
        }
    }

    var redactor: Redactor { Redactor(keep: keep, redact: redact) }
}
