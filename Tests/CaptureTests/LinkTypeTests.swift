import Capture
import Testing

/// A TCP segment (ports 50000 → 443, sequence 7, payload "hi") in an IP packet.
func ipPacket(v6: Bool) -> [UInt8] {
    let tcp: [UInt8] = [0xC3, 0x50, 0x01, 0xBB, 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0] + Array("hi".utf8)
    if v6 {
        let source = [UInt8](repeating: 0, count: 15) + [1], destination = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]
        return [0x60, 0, 0, 0, 0, UInt8(tcp.count), 6, 64] + source + destination + tcp
    }
    let total = 20 + tcp.count
    return [0x45, 0, 0, UInt8(total), 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2] + tcp
}

@Suite struct LinkTypeTests {
    @Test(arguments: [
        ("ethernet", TCPSegment.LinkType.ethernet, false),
        ("ethernet + VLAN", TCPSegment.LinkType.ethernet, true),
        ("Linux SLL", TCPSegment.LinkType.linuxSLL, true),
        ("Linux SLL2", TCPSegment.LinkType.linuxSLL2, false),
        ("BSD loopback", TCPSegment.LinkType.null, true),
        ("OpenBSD loop", TCPSegment.LinkType.loop, false),
        ("raw IP", TCPSegment.LinkType.raw, true),
    ])
    func everyLinkTypeYieldsTheSegment(name: String, linkType: Int32, v6: Bool) throws {
        let ip = ipPacket(v6: v6)
        let etherType: [UInt8] = v6 ? [0x86, 0xDD] : [0x08, 0x00]
        let frame: [UInt8] = switch (linkType, name) {
        case (TCPSegment.LinkType.ethernet, "ethernet + VLAN"): [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0, 5] + etherType + ip
        case (TCPSegment.LinkType.ethernet, _): [UInt8](repeating: 0, count: 12) + etherType + ip
        case (TCPSegment.LinkType.linuxSLL, _): [UInt8](repeating: 0, count: 14) + etherType + ip
        case (TCPSegment.LinkType.linuxSLL2, _): etherType + [UInt8](repeating: 0, count: 18) + ip
        case (TCPSegment.LinkType.null, _): (v6 ? [10, 0, 0, 0] : [2, 0, 0, 0]) + ip
        case (TCPSegment.LinkType.loop, _): (v6 ? [0, 0, 0, 24] : [0, 0, 0, 2]) + ip
        default: ip
        }
        let packet = CapturedPacket(timeMicros: 0, data: frame, wireLength: frame.count, number: 1)
        let segment = try #require(TCPSegment(packet: packet, linkType: linkType), "\(name)")
        #expect(segment.payload == Array("hi".utf8))
        #expect(segment.sequence == 7 && segment.source.port == 50000 && segment.destination.port == 443)
        #expect(segment.source.address.count == (v6 ? 16 : 4))
        #expect(segment.destination.description == (v6 ? "[2001:db8:0:0:0:0:0:2]:443" : "127.0.0.2:443"))
    }

    @Test func notTCPIsNoSegment() {
        var udp = ipPacket(v6: false)
        udp[9] = 17
        #expect(TCPSegment(packet: CapturedPacket(timeMicros: 0, data: udp, wireLength: udp.count, number: 1), linkType: TCPSegment.LinkType.raw) == nil)
        #expect(TCPSegment(packet: CapturedPacket(timeMicros: 0, data: [1, 2, 3], wireLength: 3, number: 1), linkType: TCPSegment.LinkType.ethernet) == nil)
    }
}
