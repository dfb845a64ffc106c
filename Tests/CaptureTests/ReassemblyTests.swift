import Foundation
import Capture
import Testing

func temporaryCapture() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(UUID().uuidString).pcap").path
}

/// The client → server stream of `capture`, reassembled, as data and gaps.
func clientStream(_ capture: PcapWriter, bufferLimit: Int = 1 << 20) throws -> [TCPStream.Event] {
    let path = temporaryCapture()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try capture.write(to: path)
    let file = try PcapFile(path: path)
    var stream = TCPStream(bufferLimit: bufferLimit)
    var events: [TCPStream.Event] = []
    while let packet = try file.next() {
        guard let segment = TCPSegment(packet: packet, linkType: file.linkType), segment.source.port == 50000 else { continue }
        events += stream.add(segment)
    }
    return merged(events + stream.finish())
}

/// Adjacent data events joined, so that streams compare by content.
func merged(_ events: [TCPStream.Event]) -> [TCPStream.Event] {
    var out: [TCPStream.Event] = []
    for event in events {
        if case .data(let more) = event, case .data(let before)? = out.last {
            out[out.count - 1] = .data(before + more)
        } else {
            out.append(event)
        }
    }
    return out
}

let message = Array("GET /webcast/fetch?room_id=1 HTTP/1.1\r\nHost: example\r\n\r\n".utf8)

@Suite struct ReassemblyTests {
    @Test func segmentsInOrderAfterASYN() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 1000, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1001, payload: Array(message[..<20]))
        capture.segment(fromClient: true, sequence: 1021, payload: Array(message[20...]))
        #expect(try clientStream(capture) == [.data(message)])
    }

    @Test func reorderedDuplicatedAndOverlappingSegments() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 1000, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1031, payload: Array(message[30...]))       // ahead
        capture.segment(fromClient: true, sequence: 1001, payload: Array(message[..<20]))
        capture.segment(fromClient: true, sequence: 1001, payload: Array(message[..<20]))       // retransmitted
        capture.segment(fromClient: true, sequence: 1011, payload: Array(message[10..<35]))     // overlaps both sides
        #expect(try clientStream(capture) == [.data(message)])
    }

    /// A FIN that overtakes the last data does not finish the stream before that data is in; a
    /// RST ends it as it is.
    @Test func aStreamIsFinishedOnceEveryByteBeforeItsFINIsIn() {
        let client = TCPSegment.Endpoint(address: PcapWriter.client, port: 50000), server = TCPSegment.Endpoint(address: PcapWriter.server, port: 443)
        func segment(_ sequence: UInt32, flags: UInt8, _ payload: [UInt8] = []) -> TCPSegment {
            TCPSegment(source: client, destination: server, sequence: sequence, flags: flags, payload: payload)
        }
        var stream = TCPStream()
        _ = stream.add(segment(1000, flags: 0x02))
        _ = stream.add(segment(1001, flags: 0x18, Array(message[..<20])))
        _ = stream.add(segment(1001 + UInt32(message.count), flags: 0x11))
        #expect(!stream.isFinished)
        #expect(stream.add(segment(1021, flags: 0x18, Array(message[20...]))) == [.data(Array(message[20...]))])
        #expect(stream.isFinished && !stream.wasReset)
        var reset = TCPStream()
        _ = reset.add(segment(5000, flags: 0x18, message))
        _ = reset.add(segment(9000, flags: 0x04))
        #expect(reset.wasReset && !reset.isFinished)
    }

    @Test func sequenceNumbersWrapAround() throws {
        var capture = PcapWriter()
        let start = UInt32.max - 9
        capture.segment(fromClient: true, sequence: start, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: start &+ 1, payload: Array(message[..<25]))
        capture.segment(fromClient: true, sequence: start &+ 26, payload: Array(message[25...]))
        #expect(try clientStream(capture) == [.data(message)])
    }

    @Test func aCaptureThatStartsMidConnection() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 5_000_000, payload: Array(message[..<30]))
        capture.segment(fromClient: true, sequence: 5_000_030, payload: Array(message[30...]))
        #expect(try clientStream(capture) == [.data(message)])
    }

    @Test func aMissingSegmentIsAGapNotSplicedBytes() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 1000, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1001, payload: Array(message[..<10]))
        capture.segment(fromClient: true, sequence: 1021, payload: Array(message[20...]))   // 10 bytes never captured
        #expect(try clientStream(capture) == [.data(Array(message[..<10])), .gap(length: 10), .data(Array(message[20...]))])
    }

    @Test func bufferingIsBoundedAndAGapIsDeclared() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 1000, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1101, payload: [UInt8](repeating: 1, count: 40))
        capture.segment(fromClient: true, sequence: 1141, payload: [UInt8](repeating: 2, count: 40))
        let events = try clientStream(capture, bufferLimit: 50)
        #expect(events == [.gap(length: 100), .data([UInt8](repeating: 1, count: 40) + [UInt8](repeating: 2, count: 40))])
    }

    @Test func aSnaplenTruncatedSegmentEndsInAGap() throws {
        var capture = PcapWriter()
        capture.snapLength = 80
        capture.segment(fromClient: true, sequence: 1000, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1001, payload: message, snap: 80)
        let kept = 80 - 54
        #expect(try clientStream(capture) == [.data(Array(message[..<kept])), .gap(length: message.count - kept)])
    }

    @Test func serverBytesAreAnotherDirection() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: false, sequence: 9, payload: [1, 2, 3])
        capture.segment(fromClient: true, sequence: 1, payload: message)
        #expect(try clientStream(capture) == [.data(message)])
    }

    @Test func aFileThatIsNotACaptureIsAClearError() throws {
        let path = temporaryCapture()
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: CaptureError.self) { try PcapFile(path: path) }
    }
}
