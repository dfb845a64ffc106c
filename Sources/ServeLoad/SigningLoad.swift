import Tape
import TapeClient

/// How the signing requests of a load run went.
public struct SigningOutcome: Sendable {
    public var requests: Int
    public var connections: Int
    /// Latency of every answered request, from its first byte sent to its response's last byte.
    public var latencies: [Duration] = []
    /// Problems found (an answer unlike the first in status or body, a connection that failed,
    /// requests never answered); the first few are named in `problems`.
    public var failed = 0
    public var problems: [String] = []
    /// From the first connection to the last answer.
    public var wall: Duration = .zero

    mutating func note(_ problem: String) {
        failed += 1
        if problems.count < 5 { problems.append(problem) }
    }
}

/// Keep-alive clients sending one recorded signing request over and over, each answer checked
/// against the first.
enum SigningLoad {
    static func run(signURL: String, exchange: HTTPExchange, requests: Int, connections: Int,
                    deadline: ContinuousClock.Instant) async -> SigningOutcome {
        var outcome = SigningOutcome(requests: requests, connections: connections)
        guard requests > 0, connections > 0, let base = ClientURL(signURL) else { return outcome }
        let request = exchange.request
        let target = ClientURL.target(of: request.url)
        let send = { @Sendable (connection: inout KeepAliveHTTPConnection) async throws -> HTTPResponse in
            try await connection.send(request.method, target: target, headers: [], body: request.body.bytes, maxBodyBytes: 64 << 20)
        }
        let reference: HTTPResponse
        do {
            reference = try await HTTPClientConnection.withConnection(to: base) { try await send(&$0) }
        } catch {
            outcome.note("\(request.method) \(target): \(error)")
            return outcome
        }
        let started = ContinuousClock.now
        await withTaskGroup(of: SigningOutcome?.self) { group in
            for index in 0..<connections {
                let count = requests / connections + (index < requests % connections ? 1 : 0)
                group.addTask {
                    await finishing(by: deadline) {
                        var mine = SigningOutcome(requests: count, connections: 1)
                        do {
                            try await HTTPClientConnection.withConnection(to: base) { connection in
                                for _ in 0..<count {
                                    let sent = ContinuousClock.now
                                    let response = try await send(&connection)
                                    mine.latencies.append(sent.duration(to: .now))
                                    if response.status != reference.status || response.body != reference.body {
                                        mine.note("\(request.method) \(target): \(response.status) with \(response.body.bytes.count) bytes, first answer \(reference.status) with \(reference.body.bytes.count)")
                                    }
                                }
                            }
                        } catch {
                            mine.note("\(request.method) \(target): \(error)")
                        }
                        return mine
                    }
                }
            }
            for await connection in group {
                guard let connection else {
                    outcome.note("a signing connection was not done within the run's time limit")
                    continue
                }
                outcome.latencies += connection.latencies
                outcome.failed += connection.failed
                outcome.problems += connection.problems.prefix(5 - min(5, outcome.problems.count))
            }
        }
        outcome.wall = started.duration(to: .now)
        let unanswered = requests - outcome.latencies.count
        if unanswered > 0 { outcome.note("\(unanswered) requests never answered") }
        return outcome
    }
}
