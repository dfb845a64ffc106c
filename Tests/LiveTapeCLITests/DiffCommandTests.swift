import Foundation
import JSONKit
import Testing

@Suite struct DiffCommandTests {
    private let golden = CLI.root.appendingPathComponent("Fixtures/session-5min.events.golden.jsonl")

    /// A copy of the events golden with `transform` applied to its lines.
    private func edited(_ transform: (inout [String]) -> Void) throws -> URL {
        var lines = try String(contentsOf: golden, encoding: .utf8).split(separator: "\n").map(String.init)
        transform(&lines)
        let url = try CLI.temporaryDirectory().appendingPathComponent("actual.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func theSameTranscriptIsExitZero() throws {
        let run = try CLI.run(["diff", golden.path, golden.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("no differences: 4098 records compared"))
    }

    @Test func aChangedValueIsNamedByItsPath() throws {
        let actual = try edited { lines in
            let at = lines.firstIndex { $0.contains(#""event":"gift""#) && $0.contains(#""repeat_count":"#) }!
            lines[at] = lines[at].replacingOccurrences(of: #""repeat_count":"#, with: #""repeat_count":7"#)
        }
        let run = try CLI.run(["diff", golden.path, actual.path, "--format", "json"])
        #expect(run.status == 1)
        let report = try JSONParser.parse(run.stdout)
        let changes = try #require(report["changes"]?.arrayValue)
        #expect(changes.count == 1)
        #expect(changes.first?["path"] == "repeat_count")
        #expect(changes.first?["kind"] == "changed")
    }

    @Test func anInsertedAndADroppedRecordDoNotCascade() throws {
        let actual = try edited { lines in
            let removed = lines.remove(at: 500)
            lines.insert(removed.replacingOccurrences(of: #""msg_id":""#, with: #""msg_id":"9"#), at: 2000)
        }
        let run = try CLI.run(["diff", golden.path, actual.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("2 changes: 0 changed, 1 added, 1 removed"))
    }

    @Test func ignorePatternsSilenceAPath() throws {
        let actual = try edited { lines in
            lines[10] = lines[10].replacingOccurrences(of: #""t_us":"#, with: #""t_us":1"#)
        }
        #expect(try CLI.run(["diff", golden.path, actual.path]).status == 1)
        let ignored = try CLI.run(["diff", golden.path, actual.path, "--ignore", "*.t_us"])
        #expect(ignored.status == 0, "\(ignored.stdout)")
        #expect(ignored.stdout.contains("1 difference ignored"))
    }

    @Test func unusableInputIsExitTwoWithFileAndLine() throws {
        let broken = try edited { lines in lines[3] = "{\"event\":" }
        let run = try CLI.run(["diff", golden.path, broken.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("actual.jsonl:4"))
        let missing = try CLI.run(["diff", golden.path, "/nonexistent.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent.jsonl"))
    }
}
