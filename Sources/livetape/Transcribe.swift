import Foundation
import FixtureSynth
import JSONKit
import Tape
import Transcript
import WebcastDecoder

/// Decodes a whole tape — or, when `path` is nil, the built-in demo session — once, into the
/// records of each of `views`, header first: the records of each tape entry go into fresh sinks
/// from `sinks` (one per view) on the thread that decoded them, and `emit` gets the sinks, in
/// order (the headers as one entry); a tape is decoded on `workers` threads. Returns the number
/// of decode errors.
func transcribeTape<Sink: JSONRecordSink & Sendable>(
    path: String?, views: [TranscriptView], decoder: PushFrameDecoder,
    workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    sinks: @escaping @Sendable () -> [Sink], emit: ([Sink]) -> Void
) throws(CLIError) -> Int {
    var transcriber = TapeTranscriber(views: views, decoder: decoder)
    let reader: TapeReader?
    do { reader = try path.map { path throws(TapeError) in try TapeReader(path: path) } } catch {
        throw CLIError.unreadable(error.description)
    }
    var headers = sinks()
    for (index, view) in views.enumerated() { headers[index].add(TranscriptHeader(view: view).json) }
    emit(headers)
    guard let reader else {
        let (_, records) = Synthesizer.records(for: .demo)
        for (offset, record) in records.enumerated() {
            var made = sinks()
            transcriber.write(record, line: offset + 2, into: &made)
            emit(made)
        }
        return transcriber.errorCount
    }
    transcriber.transcribe(reader, workers: workers, sinks: sinks, emit: emit)
    return transcriber.errorCount
}
