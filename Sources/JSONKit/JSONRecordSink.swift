/// Something that takes a JSON object's keys one by one, in order: a `JSONObjectBuilder` keeps
/// them as values, a `JSONObjectWriter` writes them as canonical JSON.
public protocol JSONObjectSink {
    mutating func set(_ key: String, _ value: JSONValue)
}

extension JSONObjectSink {
    /// Sets the key only when `value` is present.
    @inlinable
    public mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { set(key, value) }
    }
}

/// Where records go as they are made, one after another: kept as values (`JSONRecords`) or
/// written as canonical JSON Lines (`JSONLines`), so that a record bound for a file is written
/// key by key and never built as a value first.
public protocol JSONRecordSink {
    associatedtype Object: JSONObjectSink
    /// Adds a record made as a value.
    mutating func add(_ record: JSONValue)
    /// Adds an object record whose keys `build` sets, in order; `capacity` is how many it may set.
    mutating func addObject(capacity: Int, _ build: (inout Object) -> Void)
}

/// Records kept as values.
public struct JSONRecords: JSONRecordSink, Sendable {
    public private(set) var records: [JSONValue] = []

    public init() {}

    public mutating func add(_ record: JSONValue) {
        records.append(record)
    }

    public mutating func addObject(capacity: Int, _ build: (inout JSONObjectBuilder) -> Void) {
        var object = JSONObjectBuilder(capacity: capacity)
        build(&object)
        records.append(object.value)
    }
}

/// Records as canonical JSON Lines (each record's canonical JSON, then a newline), and lines of
/// text: what is written to a transcript file, made on one thread and written from another.
public struct JSONLines: JSONRecordSink, Sendable {
    public private(set) var bytes: [UInt8] = []
    /// The lines held.
    public private(set) var count = 0

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    public init(records: [JSONValue]) {
        records.forEach { add($0) }
    }

    public mutating func add(_ record: JSONValue) {
        CanonicalJSON.append(record, to: &bytes)
        endLine()
    }

    public mutating func addObject(capacity: Int, _ build: (inout JSONObjectWriter) -> Void) {
        var object = JSONObjectWriter(JSONWriter(appendingTo: bytes))
        bytes = []  // the writer holds the only reference: no copy as it grows
        build(&object)
        bytes = object.finish()
        endLine()
    }

    /// Adds a line of text (without its newline).
    public mutating func append(line: String) {
        bytes.append(contentsOf: line.utf8)
        endLine()
    }

    public mutating func append(contentsOf lines: JSONLines) {
        bytes.append(contentsOf: lines.bytes)
        count += lines.count
    }

    /// Empties it, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func endLine() {
        bytes.append(0x0A)
        count += 1
    }
}

/// Writes one JSON object as canonical JSON, key by key: the text `JSONWriter.value(_:)` writes
/// for the object with the same pairs.
public struct JSONObjectWriter: JSONObjectSink {
    private var writer: JSONWriter
    private var first = true

    /// Starts an object at the end of `writer`'s bytes.
    public init(_ writer: JSONWriter) {
        self.writer = writer
        self.writer.bytes.append(UInt8(ascii: "{"))
    }

    public mutating func set(_ key: String, _ value: JSONValue) {
        if !first { writer.bytes.append(UInt8(ascii: ",")) }
        first = false
        writer.string(key)
        writer.bytes.append(UInt8(ascii: ":"))
        writer.value(value)
    }

    /// The bytes with the object closed.
    public consuming func finish() -> [UInt8] {
        writer.bytes.append(UInt8(ascii: "}"))
        return writer.bytes
    }
}
