import MockServers
import Synchronization
import Tape
import TapeClient

/// How one well-behaved client's replay went.
public struct ReplayOutcome: Sendable {
    public var framesExpected: Int
    public var framesReceived = 0
    /// The first way the replay differed from the tape (a message lost, extra, reordered or
    /// altered, a failed signing request, an abnormal end, an error); nil when it did not.
    public var problem: String?
    /// From the start of the WebSocket connection to the first and to the last server message.
    public var timeToFirstFrame: Duration?
    public var timeToLastFrame: Duration?
}

/// A client that plays the tape's client side (`TapeClient`: the recorded signing requests,
/// `im_enter_room`, heartbeats, acks, the close) and checks every server message it receives
/// against the tape as it arrives.
final class WellBehavedClient: Sendable {
    private let expected: [ScheduledMessage]
    private let state: Mutex<ReplayOutcome>
    private let opened = Mutex<UInt64?>(nil)

    private init(tape: ServedTape) {
        expected = tape.sessions.filter(\.wasAccepted).flatMap(\.serverMessages)
        state = Mutex(ReplayOutcome(framesExpected: expected.count))
    }

    /// Plays `tape` against the signing server at `signURL`; gives up at `deadline`.
    static func run(tape: ServedTape, signURL: String, deadline: ContinuousClock.Instant) async -> ReplayOutcome {
        let client = WellBehavedClient(tape: tape)
        let finished = await finishing(by: deadline) { () -> String? in
            do {
                try await TapeClient(tape: tape).run(signURL: signURL, record: client.check)
                return nil
            } catch {
                return "\(error)"
            }
        }
        return client.state.withLock { outcome in
            switch finished {
            case .none: outcome.problem = outcome.problem ?? "not done after the run's time limit (\(outcome.framesReceived) messages received)"
            case .some(.some(let error)): outcome.problem = outcome.problem ?? error
            case .some(.none): break
            }
            if outcome.problem == nil, outcome.framesReceived < outcome.framesExpected {
                outcome.problem = "\(outcome.framesReceived) of \(outcome.framesExpected) messages received"
            }
            return outcome
        }
    }

    private func check(_ record: TapeRecord) {
        switch record {
        case .http(let exchange) where exchange.response == nil:
            fail("signing request \(exchange.request.url) failed: \(exchange.error ?? "no response")")
        case .wsOpen(let open):
            opened.withLock { $0 = $0 ?? open.timeMicros }
            if open.response?.status != 101 { fail("handshake answered \(open.response.map { String($0.status) } ?? open.error ?? "nothing")") }
        case .wsMessage(let message) where message.direction == .recv:
            let since = Duration.microseconds(Int64(message.timeMicros - min(message.timeMicros, opened.withLock { $0 } ?? 0)))
            state.withLock { outcome in
                let index = outcome.framesReceived
                outcome.framesReceived += 1
                outcome.timeToFirstFrame = outcome.timeToFirstFrame ?? since
                outcome.timeToLastFrame = since
                guard outcome.problem == nil else { return }
                if index >= expected.count {
                    outcome.problem = "message \(index) received after the \(expected.count) recorded"
                } else if message.opcode != expected[index].opcode || message.payload.bytes != expected[index].payload {
                    outcome.problem = "message \(index) differs from the tape's"
                }
            }
        case .wsClose(let close) where close.by == .abnormal:
            fail("the connection ended abnormally")
        default:
            break
        }
    }

    private func fail(_ problem: String) {
        state.withLock { $0.problem = $0.problem ?? problem }
    }
}

/// Runs `work`, or gives up at `deadline` and cancels it: nil then.
func finishing<Result: Sendable>(by deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> Result) async -> Result? {
    await withTaskGroup(of: Result?.self) { group in
        group.addTask { await work() }
        group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
