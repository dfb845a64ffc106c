import Foundation
import JSONKit
import Tape
import Testing
import Transcript
import WebcastDecoder

/// Every fixture tape, decoded now, must equal its golden transcripts byte for byte. The goldens
/// are cross-checked against the tiktoklive package's classes by tools/crosscheck.
@Suite struct GoldenTranscriptTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let tapes: [String] = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path))
        .map { $0.filter { $0.hasSuffix(".tape") }.sorted() } ?? []

    static func transcript(of tape: String, view: TranscriptView) throws -> [String] {
        var transcriber = TapeTranscriber(view: view)
        var lines = [CanonicalJSON.string(transcriber.header)]
        for entry in try TapeReader(path: fixtures.appendingPathComponent(tape).path) {
            lines += transcriber.records(for: entry).map(CanonicalJSON.string)
        }
        return lines
    }

    @Test func everyFixtureHasGoldens() {
        #expect(Self.tapes.count >= 4)
        for tape in Self.tapes {
            for view in TranscriptView.allCases {
                let golden = Self.fixtures.appendingPathComponent(tape.replacingOccurrences(of: ".tape", with: ".\(view.rawValue).golden.jsonl"))
                #expect(FileManager.default.fileExists(atPath: golden.path), "missing \(golden.lastPathComponent)")
            }
        }
    }

    @Test(arguments: tapes, TranscriptView.allCases)
    func decodingEqualsTheGolden(tape: String, view: TranscriptView) throws {
        let goldenName = tape.replacingOccurrences(of: ".tape", with: ".\(view.rawValue).golden.jsonl")
        let golden = try String(contentsOf: Self.fixtures.appendingPathComponent(goldenName), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
        let actual = try Self.transcript(of: tape, view: view)
        let firstDifference = zip(golden, actual).enumerated().first { $0.element.0 != $0.element.1 }
        if let (index, (expected, got)) = firstDifference {
            Issue.record("\(goldenName):\(index + 1) differs\n  golden:  \(expected.prefix(400))\n  decoded: \(got.prefix(400))")
        }
        #expect(golden.count == actual.count, "\(goldenName): \(golden.count) golden records, \(actual.count) decoded")
    }
}
