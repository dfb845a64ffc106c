import Foundation
import JSONKit

/// What a load run measured and found.
public struct LoadReport: Sendable {
    public var tape: String
    /// Process id of the server.
    public var pid: Int32
    public var plan: LoadPlan
    /// Recorded server messages of the replayed session, and their bytes on the wire.
    public var framesPerReplay: Int
    public var bytesPerReplay: Int
    public var signing: SigningOutcome
    public var replays: [ReplayOutcome]
    /// From the start of the replays to the end of the last.
    public var replayWall: Duration
    public var misbehaving: [MisbehaviourOutcome]
    /// The well-behaved replay after everything else.
    public var finalReplay: ReplayOutcome
    public var sessions: SessionTally
    /// Nil when /proc could not be read.
    public var memory: ServerMemory?
    /// How the server ended when it did not stop as it should (see `ServerProcess.stop`).
    public var serverEnd: String?
    /// The last lines of the server's log, kept when the run failed.
    public var serverLogTail: [String] = []

    /// Every check that failed, one sentence each; empty when the run passed.
    public var failures: [String] {
        var failures: [String] = []
        if signing.failed > 0 { failures.append("signing: \(signing.failed) problems: " + signing.problems.joined(separator: "; ")) }
        let badReplays = replays.compactMap(\.problem)
        if !badReplays.isEmpty {
            failures.append("replays: \(badReplays.count) of \(replays.count) failed: " + Array(Set(badReplays)).sorted().prefix(3).joined(separator: "; "))
        }
        for kind in Misbehaviour.allCases {
            let problems = misbehaving.filter { $0.kind == kind }.compactMap(\.problem)
            if let first = problems.first {
                failures.append("\(kind.rawValue): \(problems.count) of \(plan.misbehaving[kind] ?? 0) clients without \(kind.expectedReaction): \(first)")
            }
        }
        if let problem = finalReplay.problem { failures.append("final client: \(problem)") }
        failures += sessions.mismatches(with: plan)
        if let memory {
            if memory.endMiB - memory.startMiB > plan.maxRSSGrowthMiB {
                failures.append(String(format: "server memory grew from %.1f to %.1f MiB (limit +%.0f MiB)", memory.startMiB, memory.endMiB, plan.maxRSSGrowthMiB))
            }
        } else {
            failures.append("the server's memory could not be read from /proc")
        }
        if let serverEnd { failures.append(serverEnd) }
        return failures
    }

    /// The figures and the result, as printed by `livetape-load`.
    public var lines: [String] {
        let answered = signing.latencies.count
        let frames = replays.map(\.framesReceived).reduce(0, +)
        var lines = [
            "livetape serve \(tape) --speed max (pid \(pid))",
            "signing: \(signing.requests) requests over \(signing.connections) keep-alive connections\(replays.isEmpty ? "" : ", alongside the replays"): "
                + "\(format(signing.wall)), \(rate(answered, signing.wall)) requests/s; latency p50 \(milliseconds(percentile(signing.latencies, 0.5))), "
                + "p99 \(milliseconds(percentile(signing.latencies, 0.99))), max \(milliseconds(signing.latencies.max()))",
            "replays: \(replays.count) concurrent well-behaved clients, \(framesPerReplay) messages (\(mebibytes(bytesPerReplay))) each: "
                + "\(frames) messages in \(format(replayWall)), \(rate(frames, replayWall)) messages/s "
                + String(format: "(%.1f MiB/s)", Double(frames) / Double(max(1, framesPerReplay)) * Double(bytesPerReplay) / 1_048_576 / max(seconds(replayWall), 1e-9)),
            "  time to first message p50 \(milliseconds(percentile(replays.compactMap(\.timeToFirstFrame), 0.5))), "
                + "p99 \(milliseconds(percentile(replays.compactMap(\.timeToFirstFrame), 0.99))); "
                + "to last message p50 \(milliseconds(percentile(replays.compactMap(\.timeToLastFrame), 0.5))), "
                + "p99 \(milliseconds(percentile(replays.compactMap(\.timeToLastFrame), 0.99)))",
            "misbehaving clients:",
        ]
        for kind in Misbehaviour.allCases {
            let outcomes = misbehaving.filter { $0.kind == kind }
            guard !outcomes.isEmpty else { continue }
            let failed = outcomes.filter { $0.problem != nil }.count
            var line = "  \(kind.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(outcomes.count).leftPadded(3))  "
                + (failed == 0 ? "ok" : "\(failed) FAILED") + ": \(kind.expectedReaction)"
            if kind == .slowReader || kind == .resetMidReplay || kind == .closeMidReplay {
                let read = outcomes.map(\.replayBytes)
                line += " (\(read.min() ?? 0)–\(read.max() ?? 0) bytes of the replay read)"
            }
            lines.append(line)
        }
        lines.append("final client: \(finalReplay.framesReceived) of \(finalReplay.framesExpected) messages"
            + (finalReplay.problem.map { ": \($0)" } ?? ", in order, byte for byte"))
        lines.append("session reports: \(sessions.description)")
        if let memory {
            lines.append(String(format: "server memory (VmRSS): %.1f MiB at start, %.1f MiB after the run, peak (VmHWM) %.1f MiB",
                                memory.startMiB, memory.endMiB, memory.peakMiB))
        }
        let failures = failures
        lines.append(failures.isEmpty ? "result: every check passed" : "result: \(failures.count) checks failed")
        lines += failures.map { "  FAILED \($0)" }
        lines += serverLogTail.map { "  server log: \($0)" }
        return lines
    }
}

/// The server's resident memory (VmRSS) at the start and the end of a run, and its peak (VmHWM).
public struct ServerMemory: Sendable {
    public var startMiB: Double
    public var endMiB: Double
    public var peakMiB: Double
}

/// The server's session reports, counted by how each session ended.
public struct SessionTally: Sendable, CustomStringConvertible {
    public var reports = 0
    /// Closed by the client after every recorded message, without deviation: the well-behaved clients.
    public var complete = 0
    /// Closed by the server for a client's protocol violation, per close code.
    public var closedByServer: [Int: Int] = [:]
    /// Ended abnormally (resets, closes mid-replay, slow readers let go).
    public var abnormal = 0
    /// The fewest and the most messages the server had sent to a session that ended abnormally.
    public var abnormalMessagesSent: ClosedRange<Int>?
    /// Sessions that ended otherwise, one sentence each.
    public var other: [String] = []

    init(_ reports: [JSONValue]) {
        self.reports = reports.count
        for report in reports {
            let by = report["close"]?["by"]?.stringValue
            let code = report["close"]?["code"]?.intValue.map(Int.init)
            let sent = Int(report["frames"]?["sent"]?.intValue ?? -1)
            let recorded = Int(report["frames"]?["recorded"]?.intValue ?? -1)
            let deviations = report["deviations"]?.arrayValue?.count ?? -1
            switch by {
            case "client" where sent == recorded && deviations == 0:
                complete += 1
            case "server":
                closedByServer[code ?? 0, default: 0] += 1
            case "abnormal":
                abnormal += 1
                abnormalMessagesSent = abnormalMessagesSent.map { min($0.lowerBound, sent)...max($0.upperBound, sent) } ?? sent...sent
            default:
                other.append("session \(report["session"]?.intValue ?? 0): closed by \(by ?? "?") with \(code.map(String.init) ?? "no code"), \(sent) of \(recorded) messages sent, \(deviations) deviations")
            }
        }
    }

    /// How the tally differs from what `plan`'s clients should give.
    func mismatches(with plan: LoadPlan) -> [String] {
        var mismatches: [String] = []
        func expect(_ what: String, _ actual: Int, _ expected: Int) {
            if actual != expected { mismatches.append("session reports: \(actual) \(what), expected \(expected)") }
        }
        let count = { (kinds: [Misbehaviour]) in kinds.map { plan.misbehaving[$0] ?? 0 }.reduce(0, +) }
        expect("sessions", reports, plan.upgradedSessions)
        expect("complete", complete, plan.replays + 1)
        for code in Set(closedByServer.keys).union([1002, 1009]) {
            expect("closed by the server with \(code)", closedByServer[code] ?? 0, count(Misbehaviour.allCases.filter { $0.closeCode == code }))
        }
        expect("abnormal", abnormal, count([.slowReader, .resetMidReplay, .closeMidReplay]))
        mismatches += other.prefix(3).map { "session reports: \($0)" }
        return mismatches
    }

    public var description: String {
        var parts = ["\(reports) sessions", "\(complete) complete"]
        parts += closedByServer.sorted { $0.key < $1.key }.map { "\($0.value) closed by the server with \($0.key)" }
        parts.append("\(abnormal) abnormal" + (abnormalMessagesSent.map { " (the server had sent \($0.lowerBound)–\($0.upperBound) messages)" } ?? ""))
        if !other.isEmpty { parts.append("\(other.count) other") }
        return parts.joined(separator: ", ")
    }
}

/// The nearest-rank percentile `q` (0 to 1) of `values`.
func percentile(_ values: [Duration], _ q: Double) -> Duration? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    return sorted[max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

private func milliseconds(_ duration: Duration?) -> String {
    duration.map { String(format: "%.2f ms", seconds($0) * 1000) } ?? "-"
}

private func format(_ duration: Duration) -> String { String(format: "%.2f s", seconds(duration)) }

private func rate(_ count: Int, _ duration: Duration) -> String {
    seconds(duration) > 0 ? String(format: "%.0f", Double(count) / seconds(duration)) : "-"
}

private func mebibytes(_ bytes: Int) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
