import ArgumentParser
import Foundation
import JSONKit
import MockServers
import Synchronization
import Tape
import TapeClient
import Transcript
import WebcastDecoder

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a tape offline: mock servers and a client in one process, decoded as it arrives.",
        discussion: """
            Starts the mock signing and push servers of `livetape serve` on loopback, then acts as the tape's client: the recorded signing requests, the WebSocket handshake with the recorded query and headers on the push server the fetch result names, and the recorded client messages (im_enter_room, heartbeats, acks), each sent once the server messages recorded before it have arrived. What arrives is decoded into a transcript.

            The transcript equals `livetape decode` of the same tape except for what the mocks move on purpose: capture times (t_us), the URLs of the signing and push servers (now on loopback) and the served fetch result's push_server and size (see docs/replay.md).

            With --tls-cert and --tls-key the mocks serve https and wss and the client trusts that certificate; with SSLKEYLOGFILE set, the client appends its TLS secrets to that file (NSS key log format), so that a capture of the replay can be decrypted with livetape import --keylog.

            Examples:
              livetape replay Fixtures/session-5min.tape -o replay.jsonl
              livetape replay Fixtures/session-5min.tape --print --speed 1
              livetape replay session.tape --view events --tape-out replayed.tape

            Exit codes: 0 the session replayed as recorded and decoded cleanly; 1 the transcript was written but the client deviated from the tape or some input could not be decoded; 2 the tape could not be read, the servers could not listen or the replay failed; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The tape to replay.", valueName: "tape"))
    var tape: String

    @Option(help: "Transcript view: wire (lossless) or events (what an app sees).")
    var view: TranscriptView = .wire

    @Option(name: .shortAndLong, help: "Write the transcript to this file (default: standard output, unless --print).")
    var output: String?

    @Flag(help: "Show the live view on standard output as the session plays.")
    var print = false

    @Option(help: ArgumentHelp("Also write the tape of what the client sent and received.", valueName: "file"))
    var tapeOut: String?

    @Option(help: ArgumentHelp("Give up after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @OptionGroup var servers: ServerOptions

    mutating func validate() throws {
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be positive") }
        // Offline replays run as fast as the client reads unless asked otherwise.
        if !CommandLine.arguments.contains(where: { $0 == "--speed" || $0.hasPrefix("--speed=") }) { servers.speed = .max }
    }

    func run() async throws {
        let served = try servers.loadTape(tape)
        let sink: ReplaySink
        do {
            sink = try ReplaySink(view: view, transcript: output ?? (print ? nil : "-"), liveView: print, tape: tapeOut, source: tape)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        let outcome: OfflineReplay.Outcome
        do {
            outcome = try await withTimeout(timeout) {
                try await OfflineReplay.run(tape: served, configuration: servers.configuration(log: { printError($0) }, report: { _ in }),
                                            keyLogFile: ProcessInfo.processInfo.environment["SSLKEYLOGFILE"]) {
                    sink.append($0)
                }
            }
        } catch {
            sink.close()
            printError("\(tape): replay failed: \(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
        sink.close()
        let deviations = outcome.sessions.reduce(0) { $0 + $1.deviations.count }
        if sink.errorCount > 0 { printError("\(sink.errorCount) decode errors; see the decode_error records") }
        if deviations > 0 { printError("the client deviated from the tape \(deviations) times (see above)") }
        if sink.errorCount > 0 || deviations > 0 { throw ExitCode(ExitCodes.findings) }
    }
}

/// Decodes and writes the records of a replay as they come. `append` calls are serialized by
/// `TapeClient`'s recorder.
final class ReplaySink: @unchecked Sendable {
    private var transcriber: TapeTranscriber
    private let transcript: LineOutput?
    private let live: LineOutput?
    private let writer: TapeWriter?
    private var line = 1
    private(set) var errorCount = 0

    init(view: TranscriptView, transcript: String?, liveView: Bool, tape: String?, source: String) throws {
        transcriber = TapeTranscriber(view: view)
        self.transcript = try transcript.map { try LineOutput(path: $0) }
        live = liveView ? try LineOutput(path: nil) : nil
        do {
            writer = try tape.map { path throws(TapeError) in
                try TapeWriter(path: path, header: TapeHeader(created: Date(), source: TapeSource(kind: "replay", detail: "livetape replay of \(source)")))
            }
        } catch {
            throw CLIError.unreadable(error.description)
        }
        self.transcript?.write(transcriber.header)
    }

    func append(_ record: TapeRecord) {
        line += 1
        try? writer?.append(record)
        for out in transcriber.records(for: record, line: line) {
            transcript?.write(out)
            if let live, let text = LiveView.line(out) {
                live.write(line: text)
                live.flush()
            }
        }
        errorCount = transcriber.errorCount
    }

    func close() {
        transcript?.close()
        live?.close()
        try? writer?.close()
    }
}

/// Runs `body`; after `seconds` (nil: no limit) it is cancelled and `TimeoutError` is thrown at
/// once, without waiting for `body` to notice.
func withTimeout<T: Sendable>(_ seconds: Double?, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let seconds else { return try await body() }
    let work = Task { try await body() }
    let timer = Task {
        try await Task.sleep(for: .seconds(seconds))
        work.cancel()
    }
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            let once = Mutex(false)
            let finish: @Sendable (Result<T, any Error>) -> Void = { result in
                if once.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: result) }
            }
            Task { finish(await work.result) }
            Task {
                _ = await timer.result
                if !timer.isCancelled { finish(.failure(TimeoutError(seconds: seconds))) }
            }
        }
    } onCancel: {
        work.cancel()
    }
    timer.cancel()
    return try result.get()
}

struct TimeoutError: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "timed out after \(seconds) s" }
}
