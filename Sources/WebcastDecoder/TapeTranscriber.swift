import Foundation
import Synchronization
import Tape
import JSONKit
import Transcript

/// Turns tape entries into transcript records, one entry at a time, so a tape of any size is
/// decoded in constant memory. Each entry is decoded once, whatever the number of views asked
/// for. Errors become records; nothing stops the stream.
public struct TapeTranscriber: Sendable {
    /// The views rendered, in the order `recordsByView` returns them.
    public let views: [TranscriptView]
    public let decoder: PushFrameDecoder
    /// Decode errors seen so far (tape lines, frames, messages), counted once per entry.
    public private(set) var errorCount = 0

    public init(views: [TranscriptView], decoder: PushFrameDecoder = PushFrameDecoder()) {
        precondition(!views.isEmpty, "a transcriber renders at least one view")
        self.views = views
        self.decoder = decoder
    }

    public init(view: TranscriptView, decoder: PushFrameDecoder = PushFrameDecoder()) {
        self.init(views: [view], decoder: decoder)
    }

    /// The first line of the first view's transcript.
    public var header: JSONValue { TranscriptHeader(view: views[0]).json }

    /// The records of one tape entry in the first view.
    public mutating func records(for entry: TapeEntry) -> [JSONValue] {
        recordsByView(for: entry)[0]
    }

    /// The records of one tape record found at `line`, in the first view.
    public mutating func records(for record: TapeRecord, line: Int) -> [JSONValue] {
        recordsByView(for: record, line: line)[0]
    }

    /// The records of one tape entry in each view, in the order of `views`.
    public mutating func recordsByView(for entry: TapeEntry) -> [[JSONValue]] {
        var sinks = [JSONRecords](repeating: JSONRecords(), count: views.count)
        write(entry, into: &sinks)
        return sinks.map(\.records)
    }

    /// The records of one tape record found at `line` in each view, in the order of `views`.
    public mutating func recordsByView(for record: TapeRecord, line: Int) -> [[JSONValue]] {
        var sinks = [JSONRecords](repeating: JSONRecords(), count: views.count)
        write(record, line: line, into: &sinks)
        return sinks.map(\.records)
    }

    /// Adds the records of one tape entry in each view to that view's sink (`sinks[i]` for `views[i]`).
    public mutating func write<Sink: JSONRecordSink>(_ entry: TapeEntry, into sinks: inout [Sink]) {
        switch entry.result {
        case .success(let record):
            write(record, line: entry.line, into: &sinks)
        case .failure(let error):
            errorCount += 1
            let context = RecordContext(line: entry.line, timeMicros: 0, conn: nil)
            let failure = DecodeError(stage: .tape, message: error.description)
            for index in views.indices { sinks[index].add(failure.record(views[index], context: context)) }
            if let recovered = error.recoveredRecord { write(recovered, line: entry.line, into: &sinks) }
        }
    }

    /// Adds the records of one tape record found at `line` in each view to that view's sink.
    public mutating func write<Sink: JSONRecordSink>(_ record: TapeRecord, line: Int, into sinks: inout [Sink]) {
        precondition(sinks.count == views.count, "one sink per view")
        let context = RecordContext(line: line, timeMicros: record.timeMicros, conn: record.conn)
        let decoded = decode(record)
        for index in views.indices { render(decoded, view: views[index], context: context, into: &sinks[index]) }
    }

    /// Transcribes `entries` in order, decoding batches of them on `workers` threads while the
    /// next batches are read, so that reading, decoding and `emit` overlap; `emit` gets each entry's
    /// records by view, in the order of `entries`, on the calling thread. Memory stays bounded
    /// by a few batches. Errors are counted in `errorCount` as one entry at a time would.
    public mutating func transcribe<Entries: Sequence<TapeEntry>>(
        _ entries: Entries, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchSize: Int = 256, emit: ([[JSONValue]]) -> Void
    ) {
        transcribe(entries, workers: workers, batchSize: batchSize, work: { $0.recordsByView(for: $1) }, emit: emit)
    }

    /// Transcribes `entries` as `transcribe(_:workers:batchSize:emit:)` does, but into sinks: each
    /// entry's records go, on the thread that decoded them, into fresh sinks from `sinks` (one per
    /// view), so that writing them (as JSON Lines, say) runs in parallel too and the records are
    /// freed by the thread that made them; `emit` gets each entry's sinks, in order.
    public mutating func transcribe<Entries: Sequence<TapeEntry>, Sink: JSONRecordSink & Sendable>(
        _ entries: Entries, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchSize: Int = 256, sinks: @escaping @Sendable () -> [Sink], emit: ([Sink]) -> Void
    ) {
        transcribe(entries, workers: workers, batchSize: batchSize, work: { transcriber, entry in
            var made = sinks()
            transcriber.write(entry, into: &made)
            return made
        }, emit: emit)
    }

    /// Runs `work` on each entry, on `workers` threads (see `transcribe(_:workers:batchSize:emit:)`),
    /// and hands what it returns to `emit` in order.
    private mutating func transcribe<Entries: Sequence<TapeEntry>, Output: Sendable>(
        _ entries: Entries, workers: Int, batchSize: Int,
        work: @escaping @Sendable (inout TapeTranscriber, TapeEntry) -> Output, emit: (Output) -> Void
    ) {
        guard workers > 1 else {
            for entry in entries { emit(work(&self, entry)) }
            return
        }
        // A serial queue per worker runs on a thread of its own, even when the caller holds one
        // of the global queue's threads (as many as cores), as a command run from async code does.
        // Each worker takes its next batch as soon as it has no more of the current one to take,
        // so it waits neither for the other workers nor for the emitting of earlier batches.
        let queues = (0..<workers).map { DispatchQueue(label: "livetape.transcribe.\($0)") }
        var iterator = entries.makeIterator()
        var inFlight: [TranscribedBatch<Output>] = []
        var ended = false
        while !ended || !inFlight.isEmpty {
            if !ended {
                var batch: [TapeEntry] = []
                batch.reserveCapacity(batchSize)
                while batch.count < batchSize, let entry = iterator.next() { batch.append(entry) }
                ended = batch.count < batchSize
                if !batch.isEmpty {
                    inFlight.append(TranscribedBatch(batch, transcriber: self, queues: queues, work: work))
                }
            }
            while let oldest = inFlight.first, ended || inFlight.count > Self.batchesAhead || oldest.isDone {
                oldest.wait()
                errorCount += oldest.errorCount
                oldest.results.forEach(emit)
                oldest.release(on: queues)
                inFlight.removeFirst()
            }
        }
    }

    /// Batches read ahead of the one being emitted: enough that no worker runs out of work while
    /// the reading thread reads or emits.
    private static let batchesAhead = 3

    /// What one tape record holds once decoded, ready to render in any view.
    private enum Decoded {
        case http(HTTPExchange, DecodedFetchResult?)
        case open(WebSocketOpen)
        case close(WebSocketClose)
        case gap(CaptureGap)
        case nonBinary(WebSocketMessage)
        case frame(WebSocketMessage, DecodedFrame)
    }

    private mutating func decode(_ record: TapeRecord) -> Decoded {
        switch record {
        case .http(let exchange):
            let result = fetchResult(in: exchange)
            errorCount += result?.errors.count ?? 0
            return .http(exchange, result)
        case .wsOpen(let open):
            return .open(open)
        case .wsClose(let close):
            return .close(close)
        case .gap(let gap):
            return .gap(gap)
        case .wsMessage(let message):
            guard message.opcode == .binary else { return .nonBinary(message) }
            let frame = decoder.decodeFrame(message.payload.bytes)
            errorCount += frame.errors.count
            return .frame(message, frame)
        }
    }

    private func render<Sink: JSONRecordSink>(_ decoded: Decoded, view: TranscriptView, context: RecordContext,
                                              into sink: inout Sink) {
        switch (decoded, view) {
        case (.frame(let message, let frame), .wire):
            WireTranscript.frame(frame, message: message, context: context, into: &sink)
        case (.http(let exchange, let result), .wire):
            sink.add(WireTranscript.http(exchange, context: context))
            if let result { WireTranscript.fetchResult(result, context: context, into: &sink) }
        case (.http(_, let result), .events):
            guard let result else { return }
            for message in result.messages { EventsTranscript.events(for: message, context: context).forEach { sink.add($0) } }
            result.errors.forEach { sink.add($0.record(.events, context: context)) }
        case (.open(let open), .wire):
            sink.add(WireTranscript.open(open, context: context))
        case (.open(let open), .events):
            sink.add(EventsTranscript.open(open, context: context))
        case (.close(let close), .wire):
            sink.add(WireTranscript.close(close, context: context))
        case (.close(let close), .events):
            sink.add(EventsTranscript.close(close, context: context))
        case (.gap(let gap), .wire):
            sink.add(WireTranscript.gap(gap, context: context))
        case (.nonBinary(let message), .wire):
            sink.add(WireTranscript.textMessage(message, context: context))
        case (.gap, .events), (.nonBinary, .events):
            break
        case (.frame(let message, let frame), .events):
            if message.direction == .recv, case .fetchResult(let result) = frame.body {
                for message in result.messages { EventsTranscript.events(for: message, context: context).forEach { sink.add($0) } }
            }
            frame.errors.forEach { sink.add($0.record(.events, context: context)) }
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

/// One batch of tape entries being transcribed on worker threads: each worker takes chunks of
/// the batch in turn until none are left and writes only the slots of its chunks; read once done,
/// then released.
private final class TranscribedBatch<Output: Sendable>: @unchecked Sendable {
    private var entries: [TapeEntry]
    private let slots: UnsafeMutableBufferPointer<Output>
    /// The worker that made each slot.
    private let makers: UnsafeMutableBufferPointer<Int>
    private var released = false
    private let errorCounts: UnsafeMutableBufferPointer<Int>
    private let group = DispatchGroup()
    /// The first entry of the next chunk to take.
    private let next = Atomic<Int>(0)
    /// Entries per chunk: small enough that workers finish a batch together.
    private static var chunk: Int { 8 }

    init(_ entries: [TapeEntry], transcriber: TapeTranscriber, queues: [DispatchQueue],
         work: @escaping @Sendable (inout TapeTranscriber, TapeEntry) -> Output) {
        self.entries = entries
        slots = .allocate(capacity: entries.count)
        makers = .allocate(capacity: entries.count)
        errorCounts = .allocate(capacity: queues.count)
        errorCounts.initialize(repeating: 0)
        for (worker, queue) in queues.enumerated() {
            // Not retained by its workers: whoever made the batch holds it until `wait()` returns and then
            // releases it, so that a worker's last reference never frees what another thread allocated.
            queue.async(group: group) { [unowned(unsafe) self] in
                var transcriber = transcriber
                let before = transcriber.errorCount
                while true {
                    let start = next.wrappingAdd(Self.chunk, ordering: .relaxed).oldValue
                    guard start < entries.count else { break }
                    for index in start..<min(start + Self.chunk, entries.count) {
                        (slots.baseAddress! + index).initialize(to: work(&transcriber, entries[index]))
                        makers[index] = worker
                    }
                }
                errorCounts[worker] = transcriber.errorCount - before
            }
        }
    }

    deinit {
        if !released { slots.deinitialize() }
        slots.deallocate()
        makers.deallocate()
        errorCounts.deallocate()
    }

    /// Frees the batch once its results are read: its entries here, on the thread that read them, and
    /// each result on the worker that made it, so that no thread frees memory that another thread's
    /// allocator holds (a contended lock in glibc's malloc).
    func release(on queues: [DispatchQueue]) {
        entries = []
        released = true
        for (worker, queue) in queues.enumerated() {
            queue.async { [self] in
                for index in slots.indices where makers[index] == worker { (slots.baseAddress! + index).deinitialize(count: 1) }
            }
        }
    }

    var isDone: Bool { group.wait(timeout: .now()) == .success }
    func wait() { group.wait() }
    var results: UnsafeMutableBufferPointer<Output> { slots }
    var errorCount: Int { errorCounts.reduce(0, +) }
}
