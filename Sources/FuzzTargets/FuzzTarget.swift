/// One libFuzzer target: a reader of hostile input, driven the way LiveTape drives it, with the
/// invariants its results must keep. A violated invariant stops the process like a crash.
/// Input formats and seed corpora: `Fixtures/fuzz/README.md`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A WebSocket binary message decoded as a push frame into both transcript views.
    case pushFrame = "push-frame"
    /// Protobuf bytes walked without a schema, and with the schema's message chosen by the first byte.
    case protobuf
    /// gzip, zlib or raw deflate in one piece, or raw deflate streamed as permessage-deflate messages.
    case inflate
    /// A tape read record by record and transcribed, every record re-encoded and read back.
    case tape
    /// A transcript read and diffed against itself.
    case transcript
    /// An HTTP/1.1 connection's bytes, both ways, through the capture importer.
    case http
    /// A WebSocket connection's frames after a canned handshake, permessage-deflate as the first byte says.
    case websocket
    /// A TLS connection's bytes and a key log, through the capture importer at once and live.
    case tls
    /// TCP segments in any order through reassembly, and as packets through the capture importer.
    case tcp
    /// A pcap or pcapng file read through libpcap and imported.
    case pcap
    /// A HAR file imported and redacted.
    case har

    /// Feeds `input` to the target.
    public func run(_ input: [UInt8]) {
        switch self {
        case .pushFrame: PushFrameTarget.run(input)
        case .protobuf: ProtobufTarget.run(input)
        case .inflate: InflateTarget.run(input)
        case .tape: TapeTarget.run(input)
        case .transcript: TranscriptTarget.run(input)
        case .http: ConnectionTarget.run(input, webSocket: false)
        case .websocket: ConnectionTarget.run(input, webSocket: true)
        case .tls: TLSTarget.run(input)
        case .tcp: TCPTarget.run(input)
        case .pcap: PcapTarget.run(input)
        case .har: HARTarget.run(input)
        }
    }
}
