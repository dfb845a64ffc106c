import ArgumentParser
import FixtureSynth
import Foundation
import Tape
import Transcript
import JSONKit
import WebcastDecoder
import WireKit

extension TranscriptView: ExpressibleByArgument {}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a tape, a push frame or one message into a transcript.",
        discussion: """
            With no input, decodes the built-in demo session (the same as Fixtures/session-5min.tape).

            --frame and --message read binary, base64 or hex (detected automatically), as pasted \
            into bug reports; '-' reads standard input.

            Exit codes: 0 everything decoded; 1 the transcript was written but some input could \
            not be decoded (see its decode_error records); 2 the input could not be read at all; \
            64 invalid arguments.
            """
    )

    enum Format: String, ExpressibleByArgument {
        case jsonl, text
    }

    @Argument(help: "The tape to decode (default: the built-in demo session).")
    var tape: String?

    @Option(help: "Transcript view: wire (lossless) or events (what an app sees).")
    var view: TranscriptView = .wire

    @Option(help: "Output format: jsonl (canonical transcript) or text (readable live view).")
    var format: Format = .jsonl

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("frame"), help: ArgumentHelp("Decode one push frame from this file.", valueName: "file|-"))
    var frameInput: String?

    @Option(name: .customLong("message"), parsing: .upToNextOption,
            help: ArgumentHelp("Decode one inner message: its method name, then a file.", valueName: "method file|-"))
    var messageInput: [String] = []

    @Option(help: "Largest inflated size of one payload, in bytes; more is a decode error.")
    var inflateLimit: Int = Inflate.defaultLimit

    @Option(help: "Decode a tape on this many threads (default: one per core); the output is the same.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if !messageInput.isEmpty, messageInput.count != 2 {
            throw ValidationError("--message takes a method name and a file, e.g. --message WebcastChatMessage chat.bin")
        }
        if [tape != nil, frameInput != nil, !messageInput.isEmpty].filter({ $0 }).count > 1 {
            throw ValidationError("give one input: a tape, --frame or --message")
        }
        if inflateLimit <= 0 { throw ValidationError("--inflate-limit must be positive") }
        if jobs <= 0 { throw ValidationError("--jobs must be positive") }
    }

    func run() throws {
        let out: LineOutput
        do { out = try LineOutput(path: output) } catch { printError("\(error)"); throw ExitCode(ExitCodes.unreadable) }
        defer { out.close() }
        let decoder = PushFrameDecoder(inflateLimit: inflateLimit)
        let source = tape ?? frameInput ?? messageInput.last ?? "demo"
        var reported = 0
        let report: (JSONValue) -> Void = { record in
            reported += 1
            if reported <= Self.maxReportedErrors { printError(Self.describe(decodeError: record, in: source)) }
        }
        let emit: (JSONValue) -> Void = { [format] record in
            if Self.isDecodeError(record) { report(record) }
            switch format {
            case .jsonl: out.write(record)
            case .text: if let line = LiveView.line(record) { out.write(line: line) }
            }
        }
        let errors: Int
        do {
            if let frameInput {
                errors = try decodeFrame(try readPasted(frameInput), decoder: decoder, emit: emit)
            } else if messageInput.count == 2 {
                errors = try decodeMessage(method: messageInput[0], try readPasted(messageInput[1]), decoder: decoder, emit: emit)
            } else if format == .jsonl {
                errors = try transcribeTape(path: tape, views: [view], decoder: decoder, workers: jobs,
                                            sinks: { [Rendered()] }) { sinks in
                    sinks[0].decodeErrors.forEach(report)
                    out.write(sinks[0].lines)
                }
            } else {
                errors = try transcribeTape(path: tape, views: [view], decoder: decoder, workers: jobs,
                                            sinks: { [JSONRecords()] }) { sinks in sinks[0].records.forEach(emit) }
            }
        } catch let error as CLIError {
            out.flush()
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        if errors > 0 {
            out.flush()
            let unreported = reported > Self.maxReportedErrors ? " (the first \(Self.maxReportedErrors) are shown above)" : ""
            printError("\(errors) decode error\(errors == 1 ? "" : "s")\(unreported); see the decode_error records")
            throw ExitCode(ExitCodes.findings)
        }
    }

    private static let maxReportedErrors = 20

    /// Whether a record is a `decode_error`: records start with their `type` (or `event`).
    private static func isDecodeError(_ record: JSONValue) -> Bool {
        guard case .object(let pairs) = record, let (key, value) = pairs.first, key == "type" || key == "event",
              case .string("decode_error") = value else { return false }
        return true
    }

    /// The records of one tape entry as JSON Lines, written on the thread that decoded them, and the
    /// `decode_error` records among them, to be named on standard error (those come whole, as values).
    private struct Rendered: JSONRecordSink, Sendable {
        var lines = JSONLines(capacity: Self.typicalBytes)
        var decodeErrors: [JSONValue] = []
        /// Room for the wire records of nine tape entries in ten, so that most are written without growing.
        private static let typicalBytes = 8192

        mutating func add(_ record: JSONValue) {
            if DecodeCommand.isDecodeError(record) { decodeErrors.append(record) }
            lines.add(record)
        }

        mutating func addObject(capacity: Int, _ build: (inout JSONObjectWriter) -> Void) {
            lines.addObject(capacity: capacity, build)
        }
    }

    /// `file:line: frame seq N, message I (Method): stage: error at byte X`, from a decode_error record.
    private static func describe(decodeError record: JSONValue, in source: String) -> String {
        var place = [String]()
        if let seq = record["seq_id"]?.stringValue { place.append("frame seq \(seq)") }
        if let index = record["index"]?.intValue {
            place.append("message \(index)" + (record["method"]?.stringValue.map { " (\($0))" } ?? ""))
        }
        let line = record["line"]?.intValue ?? 0
        let location = line > 0 ? "\(source):\(line)" : source
        let stage = record["stage"]?.stringValue ?? "decode"
        let message = record["error"]?.stringValue ?? "decode error"
        if stage == "tape" { return message }
        return ([location] + place).joined(separator: ": ") + ": \(stage): \(message)"
    }

    private func decodeFrame(_ bytes: [UInt8], decoder: PushFrameDecoder, emit: (JSONValue) -> Void) throws -> Int {
        var transcriber = TapeTranscriber(view: view, decoder: decoder)
        emit(transcriber.header)
        let message = WebSocketMessage(timeMicros: 0, conn: 0, direction: .recv, opcode: .binary, payload: Body(bytes))
        transcriber.records(for: .wsMessage(message), line: 0).forEach(emit)
        return transcriber.errorCount
    }

    private func decodeMessage(method: String, _ bytes: [UInt8], decoder: PushFrameDecoder, emit: (JSONValue) -> Void) throws -> Int {
        let message = decoder.decodeMessage(method: method, payload: bytes)
        let errors = (message.error.map { [$0] } ?? []) + message.issueErrors
        let context = RecordContext(line: 0, timeMicros: 0, conn: nil)
        emit(TranscriptHeader(view: view).json)
        switch view {
        case .wire:
            let result = DecodedFetchResult(fields: .object([]), unknown: [], messages: [message],
                                            errors: errors, notices: [])
            WireTranscript.fetchResult(result, context: context).dropFirst().forEach(emit)
        case .events:
            EventsTranscript.events(for: message, context: context).forEach(emit)
            errors.map { $0.record(.events, context: context) }.forEach(emit)
        }
        return errors.count
    }

    /// Reads a file or standard input and undoes base64 or hex.
    private func readPasted(_ path: String) throws -> [UInt8] {
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw CLIError.unreadable("\(path): cannot read file") }
        return PastedBytes.decode([UInt8](data)).bytes
    }
}
