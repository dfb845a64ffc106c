import ArgumentParser
import Foundation
import MockServers
import Tape

/// Options of the mock servers, shared by `serve` and `replay`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port of the signing server (0 picks a free one).", valueName: "port"))
    var signPort = 0

    @Option(help: ArgumentHelp("Port of the push server (0 picks a free one).", valueName: "port"))
    var pushPort = 0

    @Option(help: ArgumentHelp("Replay speed: 1 is the recorded timing, N is N times faster, max is as fast as the client reads.", valueName: "1|N|max"),
            transform: { argument in
                guard let speed = ReplaySpeed(argument: argument) else { throw ValidationError("--speed takes a positive number or max, not \(argument)") }
                return speed
            })
    var speed = ReplaySpeed.factor(1)

    @Option(help: ArgumentHelp("Require this API key (x-api-key header or apiKey query) on /webcast/ endpoints: 401 without it, 403 with another.", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("Inject a fault into signing answers (repeatable): \(Fault.syntax).", valueName: "fault"),
            transform: { argument in
                guard let fault = Fault(argument: argument) else { throw ValidationError("unknown --fault \(argument); expected \(Fault.syntax)") }
                return fault
            })
    var fault: [Fault] = []

    @Option(help: ArgumentHelp("Also ignore this query or body key when matching requests (repeatable).", valueName: "key"))
    var ignoreKey: [String] = []

    @Option(help: ArgumentHelp("Compare only these query and body keys when matching requests (repeatable).", valueName: "key"))
    var matchKey: [String] = []

    @Option(help: ArgumentHelp("Serve https and wss with this PEM certificate chain (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Largest request body the signing server reads, in bytes.", valueName: "bytes"))
    var maxBodyBytes = 1 << 20

    @Option(help: ArgumentHelp("Largest WebSocket message the push server reads from a client, in bytes.", valueName: "bytes"))
    var maxFrameBytes = 1 << 20

    @Option(help: ArgumentHelp("Seconds a client may take to send its complete WebSocket upgrade request: 408 and the connection closed after.", valueName: "seconds"))
    var handshakeTimeout = 10.0

    @Option(help: ArgumentHelp("Seconds the signing server keeps a connection on which the client sends nothing (between keep-alive requests, or stalled inside one).", valueName: "seconds"))
    var idleTimeout = 60.0

    func validate() throws {
        for port in [signPort, pushPort] where !(0...65535).contains(port) {
            throw ValidationError("ports are 0 to 65535, not \(port)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give --tls-cert and --tls-key together") }
        if !ignoreKey.isEmpty && !matchKey.isEmpty { throw ValidationError("give --ignore-key or --match-key, not both") }
        if maxBodyBytes < 1 || maxFrameBytes < 126 { throw ValidationError("--max-body-bytes must be positive and --max-frame-bytes at least 126") }
        for (name, seconds) in [("--handshake-timeout", handshakeTimeout), ("--idle-timeout", idleTimeout)] where !(seconds > 0 && seconds <= 86_400) {
            throw ValidationError("\(name) takes seconds, more than 0 and at most 86400")
        }
    }

    var rules: MatchRules {
        if !matchKey.isEmpty { return MatchRules(query: .only(Set(matchKey)), body: .only(Set(matchKey))) }
        return MatchRules(query: .allExcept(MatchRules.volatileQueryKeys.union(ignoreKey)),
                          body: .allExcept(MatchRules.volatileBodyKeys.union(ignoreKey)))
    }

    func configuration(log: @escaping @Sendable (String) -> Void, report: @escaping @Sendable (SessionReport) -> Void) -> ReplayServers.Configuration {
        ReplayServers.Configuration(
            host: host, signPort: signPort, pushPort: pushPort, speed: speed,
            signing: SigningOptions(rules: rules, apiKey: apiKey, faults: fault),
            tls: tlsCert.flatMap { cert in tlsKey.map { ServerTLS(certificateFile: cert, keyFile: $0) } },
            maxBodyBytes: maxBodyBytes, maxFrameBytes: maxFrameBytes, handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
            log: log, report: report)
    }

    /// Reads the tape; bad records are reported on stderr and the rest is served.
    func loadTape(_ path: String) throws -> ServedTape {
        let tape: ServedTape
        do {
            tape = try ServedTape(path: path)
        } catch {
            printError(error.description)
            throw ExitCode(ExitCodes.unreadable)
        }
        for problem in tape.problems {
            printError("\(problem.error.description) (record skipped, the rest is served)")
        }
        return tape
    }

    /// Starts the servers, or exits 2 when they cannot listen.
    func start(_ tape: ServedTape, _ configuration: ReplayServers.Configuration) async throws -> ReplayServers {
        do {
            return try await ReplayServers.start(tape: tape, configuration: configuration)
        } catch {
            printError("cannot listen on \(host): \(error)")
            throw ExitCode(ExitCodes.unreadable)
        }
    }
}

/// Waits for a process signal.
enum SignalWatcher {
    /// Returns when one of `signals` arrives (their default action is disabled first), or when
    /// the task is cancelled.
    static func wait(for signals: [Int32]) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
