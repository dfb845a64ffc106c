/// A TCP segment taken out of a captured packet.
public struct TCPSegment: Sendable, Hashable {
    public var source: Endpoint
    public var destination: Endpoint
    public var sequence: UInt32
    public var flags: UInt8
    public var payload: [UInt8]
    /// The capture cut the packet short: `payload` lacks `missing` bytes at its end.
    public var missing: Int

    public var isSYN: Bool { flags & 0x02 != 0 }
    public var isFIN: Bool { flags & 0x01 != 0 }
    public var isRST: Bool { flags & 0x04 != 0 }
    /// A SYN without ACK: the client opening the connection.
    public var opensConnection: Bool { isSYN && flags & 0x10 == 0 }

    /// An IP address (4 or 16 bytes) and a port.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var address: [UInt8]
        public var port: UInt16

        public init(address: [UInt8], port: UInt16) {
            self.address = address
            self.port = port
        }

        public var description: String {
            if address.count == 4 { return address.map(String.init).joined(separator: ".") + ":\(port)" }
            let groups = stride(from: 0, to: address.count, by: 2).map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }
            return "[" + groups.joined(separator: ":") + "]:\(port)"
        }
    }

    public init(source: Endpoint, destination: Endpoint, sequence: UInt32, flags: UInt8, payload: [UInt8], missing: Int = 0) {
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.flags = flags
        self.payload = payload
        self.missing = missing
    }

    /// Link-layer types understood by `init(packet:linkType:)`.
    public enum LinkType {
        public static let null: Int32 = 0          // DLT_NULL: 4-byte address family, host order
        public static let ethernet: Int32 = 1      // DLT_EN10MB
        public static let raw: Int32 = 101         // LINKTYPE_RAW
        public static let rawAlias: Int32 = 12     // DLT_RAW on some systems
        public static let loop: Int32 = 108        // DLT_LOOP: 4-byte address family, network order
        public static let linuxSLL: Int32 = 113    // LINKTYPE_LINUX_SLL
        public static let linuxSLL2: Int32 = 276   // LINKTYPE_LINUX_SLL2
    }

    /// The TCP segment in `packet`, or nil when it holds none (another protocol, an IP fragment
    /// after the first, a header cut by the snapshot length).
    public init?(packet: CapturedPacket, linkType: Int32) {
        let bytes = packet.data
        var offset: Int
        var etherType: UInt16
        switch linkType {
        case LinkType.ethernet:
            guard bytes.count >= 14 else { return nil }
            etherType = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
            offset = 14
            while etherType == 0x8100 || etherType == 0x88A8 {  // VLAN tags
                guard bytes.count >= offset + 4 else { return nil }
                etherType = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
                offset += 4
            }
        case LinkType.linuxSLL:
            guard bytes.count >= 16 else { return nil }
            etherType = UInt16(bytes[14]) << 8 | UInt16(bytes[15])
            offset = 16
        case LinkType.linuxSLL2:
            guard bytes.count >= 20 else { return nil }
            etherType = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            offset = 20
        case LinkType.null, LinkType.loop:
            guard bytes.count >= 4 else { return nil }
            let family = linkType == LinkType.loop
                ? UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
                : UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
            etherType = family == 2 ? 0x0800 : [10, 24, 28, 30].contains(family) ? 0x86DD : 0
            offset = 4
        case LinkType.raw, LinkType.rawAlias:
            guard let first = bytes.first else { return nil }
            etherType = first >> 4 == 4 ? 0x0800 : first >> 4 == 6 ? 0x86DD : 0
            offset = 0
        default:
            return nil
        }
        let sourceAddress: [UInt8], destinationAddress: [UInt8]
        var end: Int
        switch etherType {
        case 0x0800:
            guard bytes.count >= offset + 20, bytes[offset] >> 4 == 4 else { return nil }
            let headerLength = Int(bytes[offset] & 0x0F) * 4
            let total = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let fragmentOffset = (Int(bytes[offset + 6] & 0x1F) << 8) | Int(bytes[offset + 7])
            guard bytes[offset + 9] == 6, fragmentOffset == 0, headerLength >= 20, bytes.count >= offset + headerLength else { return nil }
            sourceAddress = Array(bytes[offset + 12..<offset + 16])
            destinationAddress = Array(bytes[offset + 16..<offset + 20])
            end = offset + total
            offset += headerLength
        case 0x86DD:
            guard bytes.count >= offset + 40, bytes[offset] >> 4 == 6 else { return nil }
            var next = bytes[offset + 6]
            let payloadLength = Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])
            sourceAddress = Array(bytes[offset + 8..<offset + 24])
            destinationAddress = Array(bytes[offset + 24..<offset + 40])
            end = offset + 40 + payloadLength
            offset += 40
            // Hop-by-hop, routing and destination options headers.
            while [0, 43, 60].contains(next) {
                guard bytes.count >= offset + 2 else { return nil }
                next = bytes[offset]
                offset += (Int(bytes[offset + 1]) + 1) * 8
            }
            guard next == 6 else { return nil }
        default:
            return nil
        }
        guard bytes.count >= offset + 20 else { return nil }
        let dataOffset = Int(bytes[offset + 12] >> 4) * 4
        guard dataOffset >= 20, bytes.count >= offset + dataOffset else { return nil }
        // The IP length bounds the payload (Ethernet pads short frames); the capture may end sooner.
        end = max(end, offset + dataOffset)
        let available = min(bytes.count, end)
        self.init(
            source: Endpoint(address: sourceAddress, port: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])),
            destination: Endpoint(address: destinationAddress, port: UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])),
            sequence: UInt32(bytes[offset + 4]) << 24 | UInt32(bytes[offset + 5]) << 16 | UInt32(bytes[offset + 6]) << 8 | UInt32(bytes[offset + 7]),
            flags: bytes[offset + 13],
            payload: Array(bytes[(offset + dataOffset)..<available]),
            missing: end - available)
    }
}
