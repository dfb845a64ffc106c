import JSONKit

/// Settings of a diff.
public struct DiffOptions: Sendable {
    /// Records read ahead on each side to realign after an insertion or a drop. Memory is
    /// proportional to it; a run of inserted or dropped records longer than the window is still
    /// reported, but realignment then falls back to merging by `t_us`. At least 2.
    public var window: Int
    /// Differences whose path matches one of these are not reported (counted in `DiffSummary.ignored`).
    public var ignore: IgnoreRules
    /// Sibling fields kept as context before and after a changed value.
    public var contextFields: Int
    /// Changes kept in `DiffReport.changes`; later ones are counted in the summary only
    /// (`DiffReport.truncated`). Bounds memory on wholly different files.
    public var maxStoredChanges: Int
    /// How the two files are read.
    public var reader: TranscriptReader.Options

    /// Settings; the defaults suit `livetape diff` and `livetape check`.
    public init(window: Int = 2000, ignore: IgnoreRules = IgnoreRules(), contextFields: Int = 2,
                maxStoredChanges: Int = 2_000, reader: TranscriptReader.Options = TranscriptReader.Options()) {
        self.window = max(2, window)
        self.ignore = ignore
        self.contextFields = max(0, contextFields)
        self.maxStoredChanges = max(0, maxStoredChanges)
        self.reader = reader
    }
}

/// Where a record is: its line in the transcript file and the tape line it came from.
public struct RecordLocation: Sendable, Equatable {
    /// 1-based line in the transcript file (the header is line 1).
    public var line: Int
    /// The record's `line` key: the tape line (0 for pasted input), when present.
    public var tapeLine: Int?

    /// A location.
    public init(line: Int, tapeLine: Int?) {
        self.line = line
        self.tapeLine = tapeLine
    }
}

/// One difference between the expected and the actual transcript.
public struct DiffChange: Sendable, Equatable {
    /// What kind of difference.
    public enum Kind: String, Sendable, CaseIterable {
        /// A value of an aligned record differs (or a key is present on one side only).
        case changed
        /// A record only in the actual transcript.
        case added
        /// A record only in the expected transcript.
        case removed
        /// An `unknown` entry (by path) only in the actual record.
        case unknownFieldAppeared = "unknown_field_appeared"
        /// An `unknown` entry (by path) only in the expected record.
        case unknownFieldVanished = "unknown_field_vanished"
        /// A `decode_error` record only in the actual transcript.
        case decodeErrorAppeared = "decode_error_appeared"
        /// A `decode_error` record only in the expected transcript.
        case decodeErrorVanished = "decode_error_vanished"
    }

    /// The kind of difference.
    public var kind: Kind
    /// The record's `type` (wire) or `event` (events).
    public var recordType: String
    /// The method for wire messages, otherwise `recordType`: the label of ignore paths.
    public var category: String
    /// The record group's label (`frame 41`) for records that belong to one (wire view:
    /// fetch results, messages, decode errors and notices of a frame or http exchange).
    public var group: String?
    /// The record's label: `WebcastGiftMessage 7291…03`, `frame 41`, `notice unknown_method`…
    public var record: String
    /// The field path within the record, relative to `fields` for frames and messages
    /// (`repeat_count`, `user.badge_list[0].str`, `unknown[WebcastChatMessage.user.77]`);
    /// empty for whole records.
    public var path: String
    /// The same path from the record's root (`fields.repeat_count`).
    public var jsonPath: String
    /// The expected value (the whole record for `removed`); nil when absent.
    public var expected: JSONValue?
    /// The actual value (the whole record for `added`); nil when absent.
    public var actual: JSONValue?
    /// The expected record's location, nil for `added`.
    public var expectedLocation: RecordLocation?
    /// The actual record's location, nil for `removed`.
    public var actualLocation: RecordLocation?
    /// Up to `DiffOptions.contextFields` sibling fields before the changed one, as `key: value`.
    public var contextBefore: [String]
    /// Sibling fields after the changed one.
    public var contextAfter: [String]

    /// A change; renderers and tests build these, the engine fills every field.
    public init(kind: Kind, recordType: String, category: String, group: String?, record: String, path: String,
                jsonPath: String, expected: JSONValue?, actual: JSONValue?, expectedLocation: RecordLocation?,
                actualLocation: RecordLocation?, contextBefore: [String] = [], contextAfter: [String] = []) {
        self.kind = kind
        self.recordType = recordType
        self.category = category
        self.group = group
        self.record = record
        self.path = path
        self.jsonPath = jsonPath
        self.expected = expected
        self.actual = actual
        self.expectedLocation = expectedLocation
        self.actualLocation = actualLocation
        self.contextBefore = contextBefore
        self.contextAfter = contextAfter
    }

    /// `frame 41 › WebcastGiftMessage 7291…03` (the record label after its group's).
    public var title: String {
        if let group, group != record { return "\(group) › \(record)" }
        return record
    }

    /// The strings ignore patterns are matched against: `<category>.<path>` and
    /// `<recordType>.<jsonPath>` (e.g. `WebcastGiftMessage.common.create_time` and
    /// `message.fields.common.create_time`); for whole records (added, removed, decode errors)
    /// the bare `<category>` and `<recordType>`.
    public var ignorePaths: [String] {
        if path.isEmpty { return category == recordType ? [category] : [category, recordType] }
        return ["\(category).\(path)", "\(recordType).\(jsonPath)"]
    }
}

/// Counts for one record type, event or message method.
public struct CategoryCounts: Sendable, Equatable {
    /// Aligned pairs.
    public var compared = 0
    /// Aligned pairs with at least one reported difference.
    public var changed = 0
    /// Records only in the actual transcript.
    public var added = 0
    /// Records only in the expected transcript.
    public var removed = 0

    /// Counts.
    public init(compared: Int = 0, changed: Int = 0, added: Int = 0, removed: Int = 0) {
        self.compared = compared
        self.changed = changed
        self.added = added
        self.removed = removed
    }

    /// Whether anything differs.
    public var hasDifferences: Bool { changed + added + removed > 0 }
}

/// The figures of a diff.
public struct DiffSummary: Sendable, Equatable {
    /// Records (lines after the header) in the expected transcript.
    public var expectedRecords = 0
    /// Records in the actual transcript.
    public var actualRecords = 0
    /// Records aligned with a record of the other side and compared.
    public var compared = 0
    /// Compared records with at least one reported difference.
    public var changed = 0
    /// Records only in the actual transcript (decode errors included).
    public var added = 0
    /// Records only in the expected transcript (decode errors included).
    public var removed = 0
    /// Reported differences, every kind (equal to `DiffReport.changes.count` unless truncated).
    public var changes = 0
    /// Differences an ignore pattern matched (not reported).
    public var ignored = 0
    /// The most records held read-ahead on one side at any time (bounded by the window).
    public var maxLookahead = 0
    /// Reported differences by kind.
    public var byKind: [DiffChange.Kind: Int] = [:]
    /// Counts by record type (wire `type`) or event name.
    public var byType: [String: CategoryCounts] = [:]
    /// Counts by message method (wire view only).
    public var byMethod: [String: CategoryCounts] = [:]

    /// An empty summary.
    public init() {}
}

/// One side of a diff.
public struct TranscriptFile: Sendable, Equatable {
    /// The path (or name) of the transcript.
    public var name: String
    /// Its header.
    public var header: TranscriptHeader

    /// A side.
    public init(name: String, header: TranscriptHeader) {
        self.name = name
        self.header = header
    }
}

/// The result of a diff: the changes in file order and the summary. Render it with
/// `TextReportRenderer`, `JSONReportRenderer` or `JUnitReportRenderer`.
public struct DiffReport: Sendable {
    /// The expected (golden) transcript.
    public var expected: TranscriptFile
    /// The actual transcript.
    public var actual: TranscriptFile
    /// The changes, in the order of the files, at most `DiffOptions.maxStoredChanges`.
    public var changes: [DiffChange]
    /// The figures.
    public var summary: DiffSummary
    /// Whether changes were dropped from `changes` (the summary counts them all).
    public var truncated: Bool
    /// The alignment window used.
    public var window: Int

    /// A report.
    public init(expected: TranscriptFile, actual: TranscriptFile, changes: [DiffChange], summary: DiffSummary,
                truncated: Bool = false, window: Int = DiffOptions().window) {
        self.expected = expected
        self.actual = actual
        self.changes = changes
        self.summary = summary
        self.truncated = truncated
        self.window = window
    }

    /// No reported difference (ignored ones aside).
    public var isIdentical: Bool { summary.changes == 0 }
}
