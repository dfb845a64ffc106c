import ArgumentParser
import Foundation
import JSONKit
import MockServers
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a tape from a mock signing server and a mock push server.",
        discussion: """
            The signing server answers EulerStream's API (GET /webcast/fetch, POST /webcast/sign_url, GET /webcast/room_id, GET /webcast/rate_limits) and the local server's POST /api/eulerstream from the tape's recorded exchanges, matched by method, path and query/body keys (volatile ones such as X-Bogus, msToken, ts and apiKey ignored). Repeated requests get the recorded answers in recorded order. A request that matches nothing gets 404 with a JSON near-miss report; an endpoint the tape never recorded gets a synthesized answer consistent with the tape. Every served fetch result's push_server points at the push server.

            The push server takes a WebSocket on any path and replays the recorded server messages of the session whose query is closest, to every client on its own. It checks what the client sends (im_enter_room, heartbeat interval, an ack with the right log_id for every frame with need_ack), reproduces recorded handshake refusals and close codes, and reports deviations per session (stderr, and --report).

            On start it prints one JSON line on stdout: {"sign_url", "push_url", "eulerstream_url"}. It runs until SIGINT or SIGTERM, or until --sessions push sessions have ended.

            Examples:
              livetape serve Fixtures/session-5min.tape --speed max
              SIGN_API_URL=http://127.0.0.1:8080 python my_client.py   # with --sign-port 8080
              livetape serve session.tape --api-key secret --fault rate-limit:2 --report sessions.jsonl

            Exit codes: 0 every push session that ended went as recorded (or none ended); 1 a session deviated from the tape; 2 the tape could not be read or a port could not be bound; 64 invalid arguments.
            """
    )

    @Argument(help: ArgumentHelp("The tape to serve.", valueName: "tape"))
    var tape: String

    @OptionGroup var servers: ServerOptions

    @Option(help: ArgumentHelp("Stop after this many push sessions have ended.", valueName: "n"))
    var sessions: Int?

    @Option(help: ArgumentHelp("Append every push session's report to this file (JSON Lines).", valueName: "file"))
    var report: String?

    func validate() throws {
        if let sessions, sessions < 1 { throw ValidationError("--sessions must be at least 1") }
    }

    func run() async throws {
        let served = try servers.loadTape(tape)
        let reportFile = try report.map { try LineOutput(path: $0) }
        let ended = AsyncStream<SessionReport>.makeStream()
        let configuration = servers.configuration(log: { printError($0) }, report: { ended.continuation.yield($0) })
        let mocks = try await servers.start(served, configuration)
        let urls: JSONValue = [
            "sign_url": .string(mocks.signURL), "push_url": .string(mocks.pushURL),
            "eulerstream_url": .string(mocks.signURL + "/api/eulerstream"),
        ]
        let standardOutput = try LineOutput(path: nil)
        standardOutput.write(urls)
        standardOutput.flush()

        let signals = Task {
            await SignalWatcher.wait(for: [SIGINT, SIGTERM])
            ended.continuation.finish()
        }
        var count = 0
        var deviated = false
        for await session in ended.stream {
            reportFile?.write(session.json)
            reportFile?.flush()
            count += 1
            deviated = deviated || !session.deviations.isEmpty
            if let sessions, count >= sessions { break }
        }
        signals.cancel()
        await mocks.shutdown()
        reportFile?.close()
        if deviated { throw ExitCode(ExitCodes.findings) }
    }
}
