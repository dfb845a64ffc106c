import Foundation
import FixtureSynth
import JSONKit
import Tape
import Transcript
import WebcastDecoder

/// Decodes a whole tape — or, when `path` is nil, the built-in demo session — once, into the
/// records of each of `views`, header first; `emit` gets the view's position in `views` and a
/// record; a tape is decoded on `workers` threads. Returns the number of decode errors.
func transcribeTape(path: String?, views: [TranscriptView], decoder: PushFrameDecoder,
                    workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                    emit: (Int, JSONValue) -> Void) throws(CLIError) -> Int {
    var transcriber = TapeTranscriber(views: views, decoder: decoder)
    func emitAll(_ byView: [[JSONValue]]) {
        for (index, records) in byView.enumerated() { records.forEach { emit(index, $0) } }
    }
    let reader: TapeReader?
    do { reader = try path.map { path throws(TapeError) in try TapeReader(path: path) } } catch {
        throw CLIError.unreadable(error.description)
    }
    emitAll(views.map { [TranscriptHeader(view: $0).json] })
    guard let reader else {
        let (_, records) = Synthesizer.records(for: .demo)
        for (offset, record) in records.enumerated() {
            emitAll(transcriber.recordsByView(for: record, line: offset + 2))
        }
        return transcriber.errorCount
    }
    transcriber.transcribe(reader, workers: workers, emit: emitAll)
    return transcriber.errorCount
}
