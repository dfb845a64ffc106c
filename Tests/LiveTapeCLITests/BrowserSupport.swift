import Foundation
import WireKit

/// Headless Chromium (Debian's `chromium`, installed by tools/setup), loading `file://` pages
/// only, with its network features off and every host name unresolvable, each run bounded in
/// time.
enum Chromium {
    /// The browser, or nil when it is not installed.
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Seconds a run may take before it is killed.
    static let timeLimit = 90

    /// The page at `file` as Chromium's DOM serialization (`--dump-dom`).
    static func dom(of file: URL) throws -> String {
        try run(["--dump-dom", file.absoluteString]).stdout
    }

    /// A screenshot of the page at `file`, 1280 × 2000 pixels, as PNG bytes.
    static func screenshot(of file: URL) throws -> [UInt8] {
        let shot = file.deletingLastPathComponent().appendingPathComponent(file.lastPathComponent + ".png")
        _ = try run(["--screenshot=\(shot.path)", file.absoluteString])
        return [UInt8](try Data(contentsOf: shot))
    }

    private static func run(_ arguments: [String]) throws -> CLIRun {
        guard let path else { throw CLIFailure("chromium is not installed") }
        let profile = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2000",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--disable-breakpad", "--disable-domain-reliability", "--no-pings",
            "--disable-client-side-phishing-detection", "--metrics-recording-only",
            "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ]
        let run = try CLI.run(["--kill-after=5", String(timeLimit), path] + flags + arguments,
                              executable: URL(fileURLWithPath: "/usr/bin/timeout"))
        guard run.status == 0 else { throw CLIFailure("chromium exited \(run.status): \(run.stderr.suffix(2000))") }
        return run
    }
}

/// The pixels of a PNG image (8-bit RGB or RGBA, not interlaced), decoded with WireKit's inflate.
struct PNGImage {
    var width = 0, height = 0
    /// RGB of each pixel, row by row, packed as 0xRRGGBB.
    var pixels: [UInt32] = []

    init(_ bytes: [UInt8]) throws {
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw CLIFailure("not a PNG") }
        func uint32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        var offset = 8, channels = 0, data: [UInt8] = []
        while offset + 8 <= bytes.count {
            let length = uint32(offset), type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            switch type {
            case "IHDR":
                width = Int(body[0]) << 24 | Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3])
                height = Int(body[4]) << 24 | Int(body[5]) << 16 | Int(body[6]) << 8 | Int(body[7])
                guard body[8] == 8, [2, 6].contains(body[9]), body[12] == 0 else { throw CLIFailure("unsupported PNG: \(body)") }
                channels = body[9] == 6 ? 4 : 3
            case "IDAT":
                data += body
            default:
                break
            }
            offset += 12 + length
        }
        let raw = try Inflate.inflate(data, format: .zlib, limit: (width * channels + 1) * height)
        let stride = width * channels
        var previous = [UInt8](repeating: 0, count: stride), row = previous
        pixels.reserveCapacity(width * height)
        for y in 0..<height {
            let start = y * (stride + 1), filter = raw[start]
            for x in 0..<stride {
                let value = raw[start + 1 + x]
                let a = x >= channels ? Int(row[x - channels]) : 0, b = Int(previous[x]), c = x >= channels ? Int(previous[x - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                row[x] = value &+ UInt8(predictor & 0xFF)
            }
            for x in 0..<width {
                let p = x * channels
                pixels.append(UInt32(row[p]) << 16 | UInt32(row[p + 1]) << 8 | UInt32(row[p + 2]))
            }
            previous = row
        }
    }
}

/// Reading Chromium's serialization of a page: sections by id, table rows as cell texts.
enum DOM {
    /// The markup of the element with `id="…"` up to the end of its section.
    static func section(_ id: String, in dom: String) -> String? {
        guard let start = dom.range(of: "<section id=\"\(id)\"") else { return nil }
        let end = dom.range(of: "</section>", range: start.upperBound..<dom.endIndex)?.upperBound ?? dom.endIndex
        return String(dom[start.lowerBound..<end])
    }

    /// The body rows of the first table of the section `id`.
    static func rows(of id: String, in dom: String) throws -> [[String]] {
        guard let markup = section(id, in: dom) else { throw CLIFailure("no section \(id)") }
        return rows(in: markup)
    }

    /// The body rows of the first table in `markup`, each as the texts of its cells.
    static func rows(in markup: String) -> [[String]] {
        guard let body = between("<tbody>", "</tbody>", in: markup) else { return [] }
        return body.components(separatedBy: "<tr>").dropFirst().map { row in
            cell.matches(in: row, range: NSRange(row.startIndex..., in: row)).compactMap { match in
                Range(match.range(at: 1), in: row).map { text(String(row[$0])) }
            }
        }
    }

    /// A table cell and its content (which holds no `<`: text is escaped).
    private static let cell = try! NSRegularExpression(pattern: "<t[hd][^>]*>([^<]*)</t[hd]>")

    /// How many `<name` elements `markup` holds.
    static func count(_ name: String, in markup: String) -> Int {
        markup.components(separatedBy: "<\(name)").count - 1
    }

    private static func between(_ open: String, _ close: String, in text: String) -> String? {
        guard let start = text.range(of: open), let end = text.range(of: close, range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// Text content as serialized, its character references decoded.
    private static func text(_ serialized: String) -> String {
        serialized.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&nbsp;", with: "\u{A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
