import JSONKit
import Tape
import Transcript
import WebcastDecoder
import WireKit

/// Output cap for the targets that inflate: small, so that bombs are cheap to find out.
let fuzzInflateLimit = 1 << 20

enum PushFrameTarget {
    static let decoder = PushFrameDecoder(inflateLimit: fuzzInflateLimit)

    static func run(_ input: [UInt8]) {
        var transcriber = TapeTranscriber(views: [.wire, .events], decoder: decoder)
        let message = WebSocketMessage(timeMicros: 0, conn: 1, direction: .recv, opcode: .binary, payload: Body(input))
        for records in transcriber.recordsByView(for: .wsMessage(message), line: 2) {
            records.forEach(Invariant.writesValidJSON)
        }
    }
}

enum ProtobufTarget {
    static let decoder = FieldDecoder()

    static func run(_ input: [UInt8]) {
        let (fields, error) = decodeRaw(input)
        checkPlaces(fields, within: 0..<input.count)
        if let error { Invariant.check((0...input.count).contains(error.offset), "error offset \(error.offset) outside the input") }
        _ = WireGuess.classify(input)
        Invariant.writesValidJSON(decoder.decodeRaw(input).value)

        // The schema's message picked by the first byte: the walk that writes JSON as it goes
        // must agree with the tree walk.
        guard let selector = input.first else { return }
        let messages = decoder.schema.messages
        let message = messages[Int(selector) % messages.count]
        let payload = Array(input.dropFirst())
        let tree = decoder.decode(payload, as: message)
        let encoded = decoder.decode(payload, as: message, encoded: true)
        if case .encoded(let json) = encoded.fields {
            Invariant.check(tree.error == nil, "\(message.name): encoded although the tree walk failed: \(tree.error!)")
            Invariant.check(json.bytes.elementsEqual(CanonicalJSON.encode(tree.fields)),
                            "\(message.name): encoded \(String(decoding: json.bytes, as: UTF8.self)) but the tree is \(CanonicalJSON.string(tree.fields))")
        } else {
            Invariant.check(encoded.fields == tree.fields, "\(message.name): the fallback tree differs")
        }
        Invariant.check(encoded.unknown == tree.unknown && encoded.issues == tree.issues, "\(message.name): unknown fields or issues differ")
        Invariant.writesValidJSON(tree.fields)
    }

    /// Every field lies within its parent's bytes, in wire order.
    private static func checkPlaces(_ fields: [RawField], within range: Range<Int>) {
        var previous = range.lowerBound - 1
        for field in fields {
            Invariant.check(range.contains(field.offset) && field.offset > previous, "field \(field.number) at \(field.offset) outside \(range) or out of order")
            previous = field.offset
            switch field.node {
            case .message(let inner, let bytes), .group(let inner, let bytes):
                Invariant.check(bytes.lowerBound > field.offset && bytes.upperBound <= range.upperBound, "field \(field.number): \(bytes) outside \(range)")
                checkPlaces(inner, within: bytes)
            case .string(_, let bytes), .bytes(_, let bytes):
                Invariant.check(bytes.lowerBound > field.offset && bytes.upperBound <= range.upperBound, "field \(field.number): \(bytes) outside \(range)")
            case .varint, .fixed32, .fixed64:
                break
            }
        }
    }
}

enum InflateTarget {
    /// The first byte: bits 0-1 choose gzip, zlib, raw, or streamed raw deflate; bit 2 makes the
    /// stream forget its window after every message (no_context_takeover).
    static func run(_ input: [UInt8]) {
        var reader = FuzzInput(input)
        let mode = reader.byte()
        switch mode & 3 {
        case 0: whole(reader.rest(), .gzip)
        case 1: whole(reader.rest(), .zlib)
        case 2: whole(reader.rest(), .raw)
        default: streamed(&reader, contextTakeover: mode & 4 == 0)
        }
    }

    private static func whole(_ data: [UInt8], _ format: CompressionFormat) {
        do {
            let output = try Inflate.inflate(data, format: format, limit: fuzzInflateLimit)
            Invariant.check(output.count <= fuzzInflateLimit, "\(output.count) bytes inflated past the limit")
            if output.count <= 1 << 16 {
                let again = try? Inflate.inflate(Deflate.deflate(output, format: format), format: format)
                Invariant.check(again == output, "\(format) output does not survive deflate and inflate")
            }
        } catch {
            Invariant.check(error.inputOffset <= data.count && error.outputCount <= fuzzInflateLimit, "\(error) for \(data.count) input bytes")
        }
    }

    /// Messages of the stream: each a 16-bit big-endian length and its bytes.
    private static func streamed(_ reader: inout FuzzInput, contextTakeover: Bool) {
        let inflater = StreamingInflater()
        while !reader.isAtEnd {
            let message = reader.bytes(reader.uint16())
            do {
                let output = try inflater.inflate(message, limit: fuzzInflateLimit)
                Invariant.check(output.count <= fuzzInflateLimit, "\(output.count) bytes inflated past the limit")
            } catch {
                Invariant.check(error.inputOffset <= message.count, "\(error) for a message of \(message.count) bytes")
            }
            if !contextTakeover { inflater.reset() }
        }
    }
}
