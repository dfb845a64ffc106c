import Foundation
import JSONKit
@testable import ServeLoad
import Testing

/// `livetape serve` under a bounded load of well-behaved and misbehaving clients at once: the
/// checks of tools/load-serve, not its figures.
@Suite(.timeLimit(.minutes(2))) struct LoadTests {
    @Test func everyClientGetsItsWholeReplayOrItsDocumentedReactionUnderLoad() async throws {
        var plan = LoadPlan()
        plan.signingRequests = 500
        plan.signingConnections = 20
        plan.replays = 100
        plan.misbehaving = [
            .slowReader: 4, .resetMidReplay: 3, .closeMidReplay: 3, .garbageFrame: 2, .unmaskedFrame: 2, .oversizedFrame: 2,
            .stalledHandshake: 3, .malformedRequest: 2,
        ]
        plan.handshakeTimeoutSeconds = 5
        plan.timeout = .seconds(60)
        let report = try await ServeLoad.run(livetape: CLI.binary.path, tape: CLI.root.appendingPathComponent("Fixtures/compress-none.tape").path,
                                             plan: plan)
        #expect(report.failures.isEmpty, "\(report.lines.joined(separator: "\n"))")
        #expect(report.replays.count == 100)
        #expect(report.replays.allSatisfy { $0.framesReceived == 151 && $0.problem == nil })
        #expect(report.signing.latencies.count == 500)
        #expect(report.misbehaving.count == 21)
        #expect(report.sessions.complete == 101)
        #expect(report.sessions.closedByServer == [1002: 4, 1009: 2])
    }

    @Test func theSessionTallyNamesEverySessionThatEndedOtherwiseThanPlanned() throws {
        var plan = LoadPlan()
        plan.replays = 1
        plan.misbehaving = [.unmaskedFrame: 1]
        let reports = try [
            #"{"session":1,"frames":{"recorded":5,"sent":5},"close":{"by":"client","code":1000},"deviations":[]}"#,
            #"{"session":2,"frames":{"recorded":5,"sent":3},"close":{"by":"client","code":1000},"deviations":[]}"#,
            #"{"session":3,"frames":{"recorded":5,"sent":5},"close":{"by":"server","code":1009},"deviations":["no im_enter_room"]}"#,
        ].map { try JSONParser.parse($0) }
        let mismatches = SessionTally(reports).mismatches(with: plan)
        #expect(mismatches.contains("session reports: 1 complete, expected 2"))
        #expect(mismatches.contains("session reports: 0 closed by the server with 1002, expected 1"))
        #expect(mismatches.contains("session reports: 1 closed by the server with 1009, expected 0"))
        #expect(mismatches.contains { $0.contains("session 2: closed by client with 1000, 3 of 5 messages sent") })
    }
}
