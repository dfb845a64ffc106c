import ArgumentParser
import Foundation
import ServeLoad

@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livetape-load",
        abstract: "Load `livetape serve` on loopback with well-behaved and misbehaving clients at once, and check how it copes.",
        discussion: """
            Starts `livetape serve TAPE --speed max`, then all at once: keep-alive signing requests (the tape's first recorded exchange), well-behaved WebSocket replays (the tape's client side: every recorded server message must arrive in order, byte for byte) and misbehaving clients (slow readers, resets and closes mid-replay, garbage, unmasked and oversized frames, stalled handshakes, malformed signing requests), each of which must get its documented reaction. Then one more well-behaved replay, the server's session reports counted, its memory read from /proc and the server stopped.

            Prints throughput (signing requests/s, replayed messages/s), latency (signing p50/p99, time to first and last message per replay) and every check. Exit codes: 0 every check passed; 1 a check failed; 2 the load could not start.
            """
    )

    @Option(help: ArgumentHelp("The livetape executable.", valueName: "path"))
    var livetape = ".build/release/livetape"

    @Option(help: ArgumentHelp("The tape to serve.", valueName: "tape"))
    var tape = "Fixtures/session-5min.tape"

    @Option(help: "Signing requests.")
    var signingRequests = 2000

    @Option(help: "Keep-alive connections the signing requests are spread over.")
    var signingConnections = 50

    @Option(help: "Concurrent well-behaved replays.")
    var replays = 100

    @Option(help: ArgumentHelp("Clients of each misbehaving kind (slow readers: twice as many).", valueName: "n"))
    var misbehaving = 5

    @Option(help: ArgumentHelp("Seconds the run may take.", valueName: "seconds"))
    var timeout = 120

    func validate() throws {
        if [signingRequests, signingConnections, replays, misbehaving].contains(where: { $0 < 0 }) || timeout < 1 {
            throw ValidationError("counts are 0 or more, --timeout at least 1")
        }
    }

    func run() async throws {
        raiseOpenFileLimit()
        var plan = LoadPlan()
        plan.signingRequests = signingRequests
        plan.signingConnections = signingConnections
        plan.replays = replays
        plan.misbehaving = LoadPlan.misbehaving(each: misbehaving)
        plan.timeout = .seconds(timeout)
        let report: LoadReport
        do {
            report = try await ServeLoad.run(livetape: livetape, tape: tape, plan: plan)
        } catch {
            FileHandle.standardError.write(Data("livetape-load: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(report.lines.joined(separator: "\n"))
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    /// Every client is a socket of this process: allow as many as the hard limit does.
    private func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}
