import Synchronization
import Tape
import TapeClient

/// What the proxy's listeners share: the tape's clock, the push server learnt from the last
/// fetch answer, live sessions and counters.
final class ProxyState: Sendable {
    let recorder: Recorder
    let log: @Sendable (String) -> Void
    /// The `push_server` of the last fetch answer that went through the proxy.
    let learntPushServer = Mutex<String?>(nil)
    let exchanges = Atomic<Int>(0)
    let messages = Atomic<Int>(0)
    let openSessions = Atomic<Int>(0)

    init(recorder: Recorder, log: @escaping @Sendable (String) -> Void) {
        self.recorder = recorder
        self.log = log
    }
}

/// Headers that belong to one hop, never forwarded.
let hopByHopHeaders: Set<String> = [
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
]

/// Headers of the WebSocket handshake itself, made anew by each side.
let handshakeHeaders: Set<String> = hopByHopHeaders.union(["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept"])

extension [HTTPHeader] {
    func removing(_ names: Set<String>) -> [HTTPHeader] {
        filter { !names.contains($0.name.lowercased()) }
    }

    func first(_ name: String) -> String? {
        first { $0.name.lowercased() == name }?.value
    }
}
