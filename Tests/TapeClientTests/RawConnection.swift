import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP connection for sending bytes no well-behaved client would send. Reads block
/// a dispatch thread, never the test's cooperative pool (which the servers under test need).
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; reads time out after `timeout` seconds (a bound for a server
    /// that does not answer, generous for sanitizer builds).
    init(port: Int, timeout: Int = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawError("connect to port \(port) failed: errno \(errno)") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Everything received until the peer closes or the read times out.
    func readAll() async -> [UInt8] {
        await read { _ in false }
    }

    /// Reads until `done` holds for everything received (or the peer closes / the read times out).
    func read(until done: @escaping @Sendable ([UInt8]) -> Bool) async -> [UInt8] {
        await offPool { self.readBlocking(until: done) }
    }

    /// Reads until `marker` appears (or the peer closes / the read times out).
    func read(until marker: String) async -> [UInt8] {
        await offPool { self.readBlocking(until: marker) }
    }

    private func offPool(_ work: @escaping @Sendable () -> [UInt8]) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    private func readBlocking(until done: ([UInt8]) -> Bool) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !done(out) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[..<n]
        }
        return out
    }

    private func readBlocking(until marker: String) -> [UInt8] {
        var out: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while !String(decoding: out, as: UTF8.self).hasSuffix(marker) {
            let n = byte.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 1, 0) }
            if n <= 0 { break }
            out.append(byte[0])
        }
        return out
    }
}

struct RawError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A client WebSocket frame: FIN set, `opcode`, RSV1 when `rsv1`, masked unless `masked` is false.
func webSocketFrame(opcode: UInt8, payload: [UInt8], rsv1: Bool = false, masked: Bool = true) -> [UInt8] {
    var frame: [UInt8] = [0x80 | (rsv1 ? 0x40 : 0) | opcode]
    let maskBit: UInt8 = masked ? 0x80 : 0
    switch payload.count {
    case ..<126: frame.append(maskBit | UInt8(payload.count))
    case ..<65536: frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    default: frame += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
    }
    guard masked else { return frame + payload }
    let key: [UInt8] = [1, 2, 3, 4]
    return frame + key + payload.enumerated().map { $1 ^ key[$0 % 4] }
}

/// The upgrade request of a WebSocket client for `target`, offering `extensions` when given.
func upgradeRequest(_ target: String, extensions: String? = nil) -> String {
    "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (extensions.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "") + "\r\n"
}

/// A frame from a server (unmasked), as it was on the wire.
struct ServerFrame {
    var fin: Bool
    var rsv1: Bool
    var opcode: UInt8
    var payload: [UInt8]
}

/// The complete frames after the handshake response in `bytes`.
func serverFrames(in bytes: [UInt8]) -> [ServerFrame] {
    guard let headerEnd = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) else { return [] }
    var frames: [ServerFrame] = []
    var i = headerEnd + 4
    while i + 2 <= bytes.count {
        var length = Int(bytes[i + 1] & 0x7F)
        var start = i + 2
        if length == 126 {
            guard i + 4 <= bytes.count else { break }
            length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            start = i + 4
        } else if length == 127 {
            guard i + 10 <= bytes.count else { break }
            length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[i + 2 + $1]) }
            start = i + 10
        }
        guard start + length <= bytes.count else { break }
        frames.append(ServerFrame(fin: bytes[i] & 0x80 != 0, rsv1: bytes[i] & 0x40 != 0, opcode: bytes[i] & 0x0F,
                                  payload: Array(bytes[start..<start + length])))
        i = start + length
    }
    return frames
}

/// The frames after the first close frame from the server in `bytes` (after the handshake
/// response), or nil when there is no close frame.
func framesAfterTheFirstClose(in bytes: [UInt8]) -> Int? {
    let frames = serverFrames(in: bytes)
    return frames.firstIndex { $0.opcode == 8 }.map { frames.count - $0 - 1 }
}

/// The close code of the first close frame (opcode 8) from the server in `bytes`, after the
/// handshake response.
func closeCode(in bytes: [UInt8]) -> Int? {
    guard let close = serverFrames(in: bytes).first(where: { $0.opcode == 8 }), close.payload.count >= 2 else { return nil }
    return Int(close.payload[0]) << 8 | Int(close.payload[1])
}
