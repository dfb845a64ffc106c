import Capture
import Tape
import TLSDecryption

/// IPv4 packets of one TCP connection between a client (10.0.0.1:50000) and a server
/// (10.0.0.2:80), as a raw-IP capture holds them, one millisecond apart.
public struct ConnectionPackets {
    public static let linkType = TCPSegment.LinkType.raw
    public private(set) var packets: [CapturedPacket] = []

    public init() {}

    /// A segment from the client or the server. `missing` bytes are claimed by the IP header but
    /// not captured, as when the snapshot length cuts a packet.
    public mutating func add(fromClient: Bool, sequence: UInt32, flags: UInt8, payload: [UInt8], missing: Int = 0) {
        let payload = payload.prefix(0xFFFF - 40 - missing)
        let total = 40 + payload.count + missing
        let (source, destination): ([UInt8], [UInt8]) = fromClient ? ([10, 0, 0, 1], [10, 0, 0, 2]) : ([10, 0, 0, 2], [10, 0, 0, 1])
        let ports: [UInt8] = fromClient ? [0xC3, 0x50, 0, 80] : [0, 80, 0xC3, 0x50]
        let ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination
        let tcp: [UInt8] = ports + Self.bigEndian(sequence) + [0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        packets.append(CapturedPacket(timeMicros: 1_000 * UInt64(packets.count), data: ip + tcp + payload, wireLength: total,
                                      number: packets.count + 1))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// The records the capture importer makes of the packets, TLS decrypted with `keyLog`.
    public func imported(bufferLimit: Int = 4 << 20, keyLog: KeyLog? = nil) -> (records: [TapeRecord], summary: CaptureImporter.Summary) {
        var importer = CaptureImporter(bufferLimit: bufferLimit, keyLog: keyLog)
        for packet in packets { importer.add(packet, linkType: Self.linkType) }
        let records = importer.finish()
        return (records, importer.summary)
    }

    /// The records the capture importer makes of the packets as a live capture does when the
    /// client's key log gets `keyLog` only after the last packet: TLS waits for its keys.
    public func importedLive(keyLog: KeyLog) -> (records: [TapeRecord], summary: CaptureImporter.Summary) {
        var importer = CaptureImporter(keyLog: KeyLog(), waitsForKeys: true)
        for packet in packets { importer.add(packet, linkType: Self.linkType) }
        importer.keyLog = keyLog
        let records = importer.finish()
        return (records, importer.summary)
    }
}
