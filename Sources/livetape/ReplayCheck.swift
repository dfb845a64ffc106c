import Foundation
import MockServers
import Synchronization
import Tape
import TapeClient
import Transcript
import WebcastDecoder

/// `livetape check`'s second pass: each tape replayed through the mock servers by the tape's
/// client, its transcripts compared with the same goldens (ignoring what the mocks move on
/// purpose, `OfflineReplay.movedFields`), and the push server's session reports read.
struct ReplayCheck {
    var tape: String
    /// One line per view: `wire same`, `events differs (2 changed)`, …
    var results: [String] = []
    /// Diff texts and deviations of a failed replay.
    var details = ""
    var passed = true

    var summaryLine: String {
        "replay \(passed ? "ok  " : "FAIL") \((tape as NSString).lastPathComponent)  " + results.joined(separator: ", ")
    }

    /// How long one tape's replay may take before the check gives up on it.
    static let timeLimit = 300.0

    /// Replays `tape` and compares it with its goldens of `views`. A missing golden is skipped
    /// (the decode pass reports it).
    static func run(tape: String, views: [TranscriptView], ignore: IgnoreRules) async -> ReplayCheck {
        var check = ReplayCheck(tape: tape)
        let records = Mutex<[TapeRecord]>([])
        let outcome: OfflineReplay.Outcome
        do {
            let served = try ServedTape(path: tape)
            outcome = try await withTimeout(timeLimit) {
                try await OfflineReplay.run(tape: served, configuration: .init(speed: .max)) { record in
                    records.withLock { $0.append(record) }
                }
            }
        } catch {
            check.fail(result: "failed", detail: "\(tape): replay failed: \(error)\n")
            return check
        }
        for session in outcome.sessions where !session.deviations.isEmpty {
            check.fail(result: "session \(session.session) deviated",
                       detail: "\(tape): replay session \(session.session): " + session.deviations.joined(separator: "; ") + "\n")
        }
        for record in records.withLock({ $0 }) {
            if case .http(let exchange) = record, let error = exchange.error {
                check.details += "\(tape): replay: \(exchange.request.method) \(exchange.request.url) failed: \(error)\n"
            }
        }
        var rules = ignore
        rules.add(contentsOf: IgnoreRules(OfflineReplay.movedFields))
        let recorded = records.withLock { $0 }
        for view in views {
            let golden = FixtureFiles.golden(for: tape, view: view)
            guard FileManager.default.fileExists(atPath: golden) else { continue }
            let actual = NSTemporaryDirectory() + "livetape-replay-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: actual) }
            do {
                let out = try LineOutput(path: actual)
                var transcriber = TapeTranscriber(view: view)
                out.write(transcriber.header)
                for (offset, record) in recorded.enumerated() {
                    transcriber.records(for: record, line: offset + 2).forEach(out.write)
                }
                out.close()
                let comparison = try compareTranscripts(expected: golden, actual: actual, ignore: rules)
                if comparison.isSame {
                    check.results.append("\(view.rawValue) same")
                } else {
                    check.fail(result: "\(view.rawValue) differs (\(comparison.headline))", detail: "--- \(golden) (replay)\n" + comparison.text)
                }
            } catch {
                check.fail(result: "\(view.rawValue) unusable", detail: "\(golden): \(error)\n")
            }
        }
        return check
    }

    private mutating func fail(result: String, detail: String) {
        passed = false
        results.append(result)
        details += detail
    }
}
