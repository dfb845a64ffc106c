import Foundation
import JSONKit
import Tape
import Testing
import Transcript
import WebcastDecoder

/// Transcribing on worker threads must give the records of one entry at a time, in order,
/// with the same error count.
@Suite struct ParallelTranscriptionTests {
    private func transcribe(_ tape: String, workers: Int, batchSize: Int) throws -> (records: [String], errors: Int) {
        var transcriber = TapeTranscriber(views: [.wire, .events])
        var records: [String] = []
        let reader = try TapeReader(path: GoldenTranscriptTests.fixtures.appendingPathComponent(tape).path)
        transcriber.transcribe(reader, workers: workers, batchSize: batchSize) { byView in
            for (view, lines) in byView.enumerated() { records += lines.map { "\(view) " + CanonicalJSON.string($0) } }
        }
        return (records, transcriber.errorCount)
    }

    @Test(arguments: GoldenTranscriptTests.tapes)
    func workersGiveTheRecordsOfOneAtATime(tape: String) throws {
        let one = try transcribe(tape, workers: 1, batchSize: 256)
        #expect(one.records.count > 10)
        for (workers, batchSize) in [(2, 7), (3, 64), (8, 1)] {
            let many = try transcribe(tape, workers: workers, batchSize: batchSize)
            #expect(many.records == one.records, "\(workers) workers, batches of \(batchSize)")
            #expect(many.errors == one.errors)
        }
        if tape == "corrupt-messages.tape" { #expect(one.errors > 0) }
    }
}
