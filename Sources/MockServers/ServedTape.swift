import Tape

/// What the mock servers play back: a tape's HTTP exchanges and WebSocket sessions.
///
/// Loading keeps going past bad records: every complete record is served, and the tape errors
/// (a torn last line after a crash, a record of a newer kind) are kept in `problems` for the
/// caller to report.
public struct ServedTape: Sendable {
    /// The tape's file name, for logs and reports.
    public var name: String
    /// Recorded HTTP exchanges, in tape order.
    public var exchanges: [HTTPExchange]
    /// Recorded WebSocket sessions, in the order they were opened.
    public var sessions: [RecordedSession]
    /// Records that could not be read, with their tape line.
    public var problems: [(line: Int, error: TapeError)]

    /// Groups `records` by connection.
    public init(name: String, records: some Sequence<TapeRecord>, problems: [(line: Int, error: TapeError)] = []) {
        self.name = name
        self.problems = problems
        var exchanges: [HTTPExchange] = []
        var sessions: [RecordedSession] = []
        var sessionIndex: [Int: Int] = [:]
        for record in records {
            switch record {
            case .http(let exchange):
                exchanges.append(exchange)
            case .wsOpen(let open):
                sessionIndex[open.conn] = sessions.count
                sessions.append(RecordedSession(open: open))
            case .wsMessage(let message):
                guard let i = sessionIndex[message.conn] else { continue }
                sessions[i].append(message)
            case .wsClose(let close):
                guard let i = sessionIndex[close.conn] else { continue }
                sessions[i].close = close
            case .gap:
                continue
            }
        }
        self.exchanges = exchanges
        self.sessions = sessions
    }

    /// Reads the tape at `path`. Throws only when the tape cannot be opened or its header is
    /// bad; bad records land in `problems`.
    public init(path: String) throws(TapeError) {
        let reader = try TapeReader(path: path)
        var records: [TapeRecord] = []
        var problems: [(line: Int, error: TapeError)] = []
        for entry in reader {
            switch entry.result {
            case .success(let record): records.append(record)
            case .failure(let error): problems.append((entry.line, error))
            }
        }
        self.init(name: reader.name, records: records, problems: problems)
    }

    /// The room id the tape is about: from the first WebSocket URL's `room_id`, else the first
    /// signing request's `room_id` query item or the `X-Room-Id` of its answer.
    public var roomID: String? {
        for session in sessions {
            if let id = IncomingRequest(method: "GET", target: session.open.url).queryValues("room_id").first, !id.isEmpty {
                return id
            }
        }
        for exchange in exchanges {
            if let id = IncomingRequest(exchange.request).queryValues("room_id").first, !id.isEmpty { return id }
            if let id = exchange.response?.headers.first(where: { asciiEqualFolded($0.name, "X-Room-Id") })?.value { return id }
        }
        return nil
    }
}

/// One recorded WebSocket connection: its handshake, the messages both ways, how it ended.
public struct RecordedSession: Sendable {
    public var open: WebSocketOpen
    /// Server → client messages; `offsetMicros` counts from the handshake.
    public private(set) var serverMessages: [ScheduledMessage] = []
    /// Client → server messages, same clock.
    public private(set) var clientMessages: [ScheduledMessage] = []
    /// How the connection ended; nil when the tape stops before it did.
    public var close: WebSocketClose?

    public init(open: WebSocketOpen) {
        self.open = open
    }

    mutating func append(_ message: WebSocketMessage) {
        let scheduled = ScheduledMessage(
            offsetMicros: message.timeMicros > open.timeMicros ? message.timeMicros - open.timeMicros : 0,
            opcode: message.opcode, payload: message.payload.bytes, serverMessagesBefore: serverMessages.count)
        switch message.direction {
        case .recv: serverMessages.append(scheduled)
        case .send: clientMessages.append(scheduled)
        }
    }

    /// The heartbeat interval a client should keep, in milliseconds: the recorded client's
    /// median, else the `ping-interval` the recorded server announced; nil when neither is known.
    public var heartbeatIntervalMillis: Int? {
        let beats = clientMessages.filter { message in
            guard message.opcode == .binary, case .heartbeat = ClientFrame(message.payload) else { return false }
            return true
        }.map(\.offsetMicros)
        return SessionMonitor.medianInterval(beats).map { Int($0 / 1000) } ?? open.response.flatMap(SessionMonitor.pingIntervalMillis)
    }

    /// True when the recorded server accepted the upgrade (status 101).
    public var wasAccepted: Bool { open.response?.status == 101 }
}

/// A recorded message and when it came, relative to the handshake.
public struct ScheduledMessage: Sendable, Hashable {
    public var offsetMicros: UInt64
    public var opcode: WebSocketOpcode
    public var payload: [UInt8]
    /// How many server → client messages of the session the tape holds before this one.
    public var serverMessagesBefore: Int

    public init(offsetMicros: UInt64, opcode: WebSocketOpcode, payload: [UInt8], serverMessagesBefore: Int = 0) {
        self.offsetMicros = offsetMicros
        self.opcode = opcode
        self.payload = payload
        self.serverMessagesBefore = serverMessagesBefore
    }
}
