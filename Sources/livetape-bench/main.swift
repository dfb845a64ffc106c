import Foundation
import Tape
import JSONKit
import WebcastDecoder
import WireKit

// Measures, in one process and over the same frames of one tape (thread CPU time): inflating the payloads
// alone as the decoder does (the floor no decoder can beat) and, for comparison, with the system zlib;
// decoding them to fields; and decoding plus rendering the wire transcript. Prints one JSON object;
// tools/bench-decode reads it.

/// The CPU time of this thread spent in `body`: the work is single-threaded, and CPU time does
/// not count the moments another process had the core.
func seconds(_ body: () -> Void) -> Double {
    func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
    let start = now()
    body()
    return now() - start
}

/// The best of `runs` timings, so that a busy moment on the machine does not count.
func best(_ runs: Int, _ body: () -> Void) -> Double {
    (0..<runs).map { _ in seconds(body) }.min() ?? 0
}

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: livetape-bench TAPE\n".utf8))
    exit(64)
}
let reader = try TapeReader(path: CommandLine.arguments[1])
var frames: [[UInt8]] = []
var payloads: [[UInt8]] = []
for entry in reader {
    guard case .success(.wsMessage(let message)) = entry.result, message.direction == .recv, message.opcode == .binary
    else { continue }
    frames.append(message.payload.bytes)
}
let decoder = PushFrameDecoder()
var messages = 0
var inflatedBytes = 0
for frame in frames {
    let decoded = decoder.decodeFrame(frame)
    if case .fetchResult(let result) = decoded.body { messages += result.messages.count }
    inflatedBytes += decoded.compression.inflatedSize ?? 0
}
// The compressed payload of each frame, for the inflate-only baseline.
let frameSchema = Schema.webcast.message(forMethod: "WebcastPushFrame")!
for frame in frames {
    let walk = decoder.fields.decode(frame, as: frameSchema, capture: [8])
    if let range = walk.captured.last?.range { payloads.append(Array(frame[range])) }
}

let inflateOnly = best(3) {
    for payload in payloads where Inflate.looksLikeGzip(payload) { _ = try? Inflate.gunzip(payload) }
}
// For comparison, the system zlib inflating the same deflate streams (what lies between a plain
// 10-byte gzip header and the 8-byte trailer), as decoders built on zlib do.
let deflateStreams = payloads.filter { Inflate.looksLikeGzip($0) && $0.count > 18 && $0[3] == 0 }.map { Array($0[10..<($0.count - 8)]) }
let zlibInflateOnly = best(3) {
    for stream in deflateStreams { _ = try? Inflate.inflate(stream, format: .raw) }
}
let decodeOnly = best(3) {
    for frame in frames { _ = decoder.decodeFrame(frame) }
}
var transcriptBytes = 0
let decodeAndRender = best(3) {
    var out: [UInt8] = []
    transcriptBytes = 0
    for (index, frame) in frames.enumerated() {
        let message = WebSocketMessage(timeMicros: 0, conn: 1, direction: .recv, payload: Body(frame))
        let context = RecordContext(line: index, timeMicros: 0, conn: 1)
        for record in WireTranscript.frame(decoder.decodeFrame(frame), message: message, context: context) {
            CanonicalJSON.append(record, to: &out)
        }
        transcriptBytes += out.count
        out.removeAll(keepingCapacity: true)
    }
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let result: JSONValue = [
    "frames": .int(Int64(frames.count)),
    "messages": .int(Int64(messages)),
    "compressed_bytes": .int(Int64(payloads.reduce(0) { $0 + $1.count })),
    "inflated_bytes": .int(Int64(inflatedBytes)),
    "transcript_bytes": .int(Int64(transcriptBytes)),
    "inflate_only_s": .double(inflateOnly),
    "zlib_inflate_only_s": .double(zlibInflateOnly),
    "zlib_streams": .int(Int64(deflateStreams.count)),
    "decode_s": .double(decodeOnly),
    "decode_render_s": .double(decodeAndRender),
    "max_rss_kb": .int(Int64(usage.ru_maxrss)),
]
print(CanonicalJSON.string(result))
