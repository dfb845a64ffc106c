import Foundation
import Tape
import JSONKit
import Transcript

/// Turns tape entries into transcript records of one view, one entry at a time, so a tape
/// of any size is decoded in constant memory. Errors become records; nothing stops the stream.
public struct TapeTranscriber: Sendable {
    public let view: TranscriptView
    public let decoder: PushFrameDecoder
    /// Decode errors seen so far (tape lines, frames, messages).
    public private(set) var errorCount = 0

    public init(view: TranscriptView, decoder: PushFrameDecoder = PushFrameDecoder()) {
        self.view = view
        self.decoder = decoder
    }

    /// The transcript's first line.
    public var header: JSONValue { TranscriptHeader(view: view).json }

    /// The records of one tape entry.
    public mutating func records(for entry: TapeEntry) -> [JSONValue] {
        switch entry.result {
        case .success(let record):
            return records(for: record, line: entry.line)
        case .failure(let error):
            errorCount += 1
            let context = RecordContext(line: entry.line, timeMicros: 0, conn: nil)
            let failure = DecodeError(stage: .tape, message: error.description)
            var out = [failure.record(view, context: context)]
            if let record = error.recoveredRecord { out += records(for: record, line: entry.line) }
            return out
        }
    }

    /// The records of one tape record found at `line`.
    public mutating func records(for record: TapeRecord, line: Int) -> [JSONValue] {
        let context = RecordContext(line: line, timeMicros: record.timeMicros, conn: record.conn)
        switch (record, view) {
        case (.http(let exchange), .wire):
            var out = [WireTranscript.http(exchange, context: context)]
            if let result = fetchResult(in: exchange) {
                errorCount += result.errors.count
                out += WireTranscript.fetchResult(result, context: context)
            }
            return out
        case (.http(let exchange), .events):
            guard let result = fetchResult(in: exchange) else { return [] }
            errorCount += result.errors.count
            return result.messages.flatMap { EventsTranscript.events(for: $0, context: context) }
                + result.errors.map { $0.record(.events, context: context) }
        case (.wsOpen(let open), .wire):
            return [WireTranscript.open(open, context: context)]
        case (.wsOpen(let open), .events):
            return [EventsTranscript.open(open, context: context)]
        case (.wsClose(let close), .wire):
            return [WireTranscript.close(close, context: context)]
        case (.wsClose(let close), .events):
            return [EventsTranscript.close(close, context: context)]
        case (.gap(let gap), .wire):
            return [WireTranscript.gap(gap, context: context)]
        case (.gap, .events):
            return []
        case (.wsMessage(let message), _):
            return records(for: message, context: context)
        }
    }

    private mutating func records(for message: WebSocketMessage, context: RecordContext) -> [JSONValue] {
        guard message.opcode == .binary else {
            return view == .wire ? [WireTranscript.textMessage(message, context: context)] : []
        }
        let frame = decoder.decodeFrame(message.payload.bytes)
        errorCount += frame.errors.count
        switch view {
        case .wire:
            return WireTranscript.frame(frame, message: message, context: context)
        case .events:
            var out: [JSONValue] = []
            if message.direction == .recv, case .fetchResult(let result) = frame.body {
                out = result.messages.flatMap { EventsTranscript.events(for: $0, context: context) }
            }
            return out + frame.errors.map { $0.record(.events, context: context) }
        }
    }

    /// The decoded body of a signing service's `/webcast/fetch` answer, when the exchange is one.
    private func fetchResult(in exchange: HTTPExchange) -> DecodedFetchResult? {
        guard let response = exchange.response, response.status == 200, !response.body.isEmpty,
              let path = URLComponents(string: exchange.request.url)?.path, path.hasSuffix("/webcast/fetch")
        else { return nil }
        return decoder.decodeFetchResult(response.body.bytes)
    }
}
