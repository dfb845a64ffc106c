import FixtureSynth
import JSONKit
import Tape
import Transcript
import WebcastDecoder

/// Decodes a whole tape — or, when `path` is nil, the built-in demo session — into the records
/// of one transcript view, header first. Returns the number of decode errors.
func transcribeTape(path: String?, view: TranscriptView, decoder: PushFrameDecoder,
                    emit: (JSONValue) -> Void) throws(CLIError) -> Int {
    var transcriber = TapeTranscriber(view: view, decoder: decoder)
    guard let path else {
        emit(transcriber.header)
        let (_, records) = Synthesizer.records(for: .demo)
        for (offset, record) in records.enumerated() {
            transcriber.records(for: record, line: offset + 2).forEach(emit)
        }
        return transcriber.errorCount
    }
    let reader: TapeReader
    do { reader = try TapeReader(path: path) } catch { throw CLIError.unreadable(error.description) }
    emit(transcriber.header)
    for entry in reader {
        transcriber.records(for: entry).forEach(emit)
    }
    return transcriber.errorCount
}
