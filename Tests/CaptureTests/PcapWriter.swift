import Foundation
import Capture

/// Writes classic pcap files of Ethernet/IPv4/TCP packets, for crafted captures.
struct PcapWriter {
    var packets: [(time: UInt64, bytes: [UInt8], wireLength: Int)] = []
    var snapLength = 65535

    static let client: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]

    /// A TCP segment from client (port 50000, or 50000 + conn - 1) to server (port 443), or back.
    mutating func segment(conn: Int = 1, fromClient: Bool, sequence: UInt32, flags: UInt8 = 0x18, payload: [UInt8], time: UInt64? = nil, snap: Int? = nil) {
        let port = UInt16(50000 + conn - 1)
        let clientPort: [UInt8] = [UInt8(port >> 8), UInt8(port & 0xFF)]
        var tcp: [UInt8] = fromClient ? clientPort + [0x01, 0xBB] : [0x01, 0xBB] + clientPort
        tcp += withUnsafeBytes(of: sequence.bigEndian, Array.init) + [0, 0, 0, 0] + [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        let total = 20 + tcp.count + payload.count
        let (source, destination) = fromClient ? (Self.client, Self.server) : (Self.server, Self.client)
        let ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination
        let frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + tcp + payload
        let kept = snap.map { min($0, frame.count) } ?? frame.count
        packets.append((time ?? UInt64(packets.count) * 1000, Array(frame.prefix(kept)), frame.count))
    }

    func write(to path: String) throws {
        var out: [UInt8] = []
        func le32(_ v: UInt32) { out += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func le16(_ v: UInt16) { out += withUnsafeBytes(of: v.littleEndian, Array.init) }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(UInt32(snapLength)); le32(1)
        for packet in packets {
            le32(UInt32(packet.time / 1_000_000)); le32(UInt32(packet.time % 1_000_000))
            le32(UInt32(packet.bytes.count)); le32(UInt32(packet.wireLength))
            out += packet.bytes
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}
