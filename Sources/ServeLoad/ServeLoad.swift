import MockServers
import Tape
import TapeClient

/// A load test of `livetape serve`, behind `tools/load-serve` and the suite's load test.
public enum ServeLoad {
    /// Starts `livetape serve TAPE --speed max` from the `livetape` executable and sends `plan`'s
    /// clients at it all at once — keep-alive signing requests, well-behaved replays and
    /// misbehaving clients — then one more well-behaved replay; then reads the server's session
    /// reports and memory and stops it. Throws when the tape does not suit (it needs a signing
    /// exchange and a first accepted WebSocket session that the client closes) or the server
    /// does not start.
    public static func run(livetape: String, tape path: String, plan: LoadPlan) async throws -> LoadReport {
        let tape = try ServedTape(path: path)
        guard let session = tape.sessions.first(where: \.wasAccepted), session.close?.by == .client, let exchange = tape.exchanges.first else {
            throw LoadError("\(path): the load needs a signing exchange and a first accepted WebSocket session that the client closes")
        }
        let server = try ServerProcess(livetape: livetape, arguments: [path, "--speed", "max", "--handshake-timeout", "\(plan.handshakeTimeoutSeconds)"])
        let memoryAtStart = server.memory()
        guard let push = ClientURL(server.pushURL), let sign = ClientURL(server.signURL) else {
            server.stop()
            throw LoadError("livetape serve printed unusable URLs: \(server.signURL), \(server.pushURL)")
        }
        let deadline = ContinuousClock.now + plan.timeout
        let signURL = server.signURL
        let recordedQuery = ClientURL(session.open.url)?.query ?? ""
        let clients = MisbehavingClients(host: push.host, pushPort: push.port, signPort: sign.port,
                                         target: push.path + (recordedQuery.isEmpty ? "" : "?\(recordedQuery)"),
                                         stream: ReplayStream(session), maxFrameBytes: 1 << 20,  // serve's default --max-frame-bytes
                                         released: Flag(), deadline: deadline)

        async let signing = SigningLoad.run(signURL: signURL, exchange: exchange, requests: plan.signingRequests,
                                            connections: plan.signingConnections, deadline: deadline)
        async let misbehaving = withTaskGroup(of: MisbehaviourOutcome.self) { group in
            for (kind, count) in plan.misbehaving {
                for _ in 0..<count { group.addTask { await clients.run(kind) } }
            }
            return await group.reduce(into: [MisbehaviourOutcome]()) { $0.append($1) }
        }
        let replaysStarted = ContinuousClock.now
        let replays = await withTaskGroup(of: ReplayOutcome.self) { group in
            for _ in 0..<plan.replays {
                group.addTask { await WellBehavedClient.run(tape: tape, signURL: signURL, deadline: deadline) }
            }
            return await group.reduce(into: [ReplayOutcome]()) { $0.append($1) }
        }
        let replayWall = replaysStarted.duration(to: .now)
        clients.released.set()
        let misbehavingOutcomes = await misbehaving
        let signingOutcome = await signing

        let finalReplay = await WellBehavedClient.run(tape: tape, signURL: signURL, deadline: .now + plan.timeout)
        let reports = await server.reports(count: plan.upgradedSessions, within: .seconds(10))
        let memoryAtEnd = server.memory()
        let logTail = server.logTail(5)
        let pid = server.pid
        let serverEnd = server.stop()

        var report = LoadReport(
            tape: path, pid: pid, plan: plan, framesPerReplay: session.serverMessages.count, bytesPerReplay: ReplayStream(session).bytes.count,
            signing: signingOutcome, replays: replays, replayWall: replayWall, misbehaving: misbehavingOutcomes, finalReplay: finalReplay,
            sessions: SessionTally(reports),
            memory: memoryAtStart.flatMap { start in memoryAtEnd.map { ServerMemory(startMiB: start.resident, endMiB: $0.resident, peakMiB: $0.peak) } },
            serverEnd: serverEnd)
        if !report.failures.isEmpty { report.serverLogTail = logTail }
        return report
    }
}
