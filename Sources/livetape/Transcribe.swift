import Foundation
import FixtureSynth
import JSONKit
import Tape
import Transcript
import WebcastDecoder

/// Decodes a whole tape — or, when `path` is nil, the built-in demo session — once, into the
/// records of each of `views`, header first. `transform` gets the records of each tape entry by
/// view (and the headers, as one entry) on the thread that decoded them, and `emit` what it
/// returns, in order; a tape is decoded on `workers` threads. Returns the number of decode errors.
func transcribeTape<Output: Sendable>(
    path: String?, views: [TranscriptView], decoder: PushFrameDecoder,
    workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    transform: @escaping @Sendable ([[JSONValue]]) -> Output, emit: (Output) -> Void
) throws(CLIError) -> Int {
    var transcriber = TapeTranscriber(views: views, decoder: decoder)
    let reader: TapeReader?
    do { reader = try path.map { path throws(TapeError) in try TapeReader(path: path) } } catch {
        throw CLIError.unreadable(error.description)
    }
    emit(transform(views.map { [TranscriptHeader(view: $0).json] }))
    guard let reader else {
        let (_, records) = Synthesizer.records(for: .demo)
        for (offset, record) in records.enumerated() {
            emit(transform(transcriber.recordsByView(for: record, line: offset + 2)))
        }
        return transcriber.errorCount
    }
    transcriber.transcribe(reader, workers: workers, transform: transform, emit: emit)
    return transcriber.errorCount
}
