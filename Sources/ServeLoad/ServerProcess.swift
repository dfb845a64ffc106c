import Foundation
import JSONKit

/// `livetape serve` running as a child process: where it listens, its memory, its session
/// reports (`--report`) and its log, both kept in a temporary directory until `stop`.
final class ServerProcess {
    let signURL: String
    let pushURL: String
    private let process: Process
    private let directory: URL
    private var reportFile: URL { directory.appendingPathComponent("sessions.jsonl") }
    private var logFile: URL { directory.appendingPathComponent("serve.log") }

    /// Starts `livetape serve ARGUMENTS --report FILE` and waits (60 s at most) for the line
    /// of URLs it prints.
    init(livetape: String, arguments: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("livetape-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: livetape)
        process.arguments = ["serve"] + arguments + ["--report", directory.appendingPathComponent("sessions.jsonl").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let line = Self.firstLine(of: out.fileHandleForReading, within: 60)
        let urls = try? JSONParser.parse(line)
        guard let sign = urls?["sign_url"]?.stringValue, let push = urls?["push_url"]?.stringValue else {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
            throw LoadError("livetape serve printed \(line.isEmpty ? "nothing" : "\"\(line)\"") instead of its URLs")
        }
        self.process = process
        self.directory = directory
        signURL = sign
        pushURL = push
    }

    /// The first line `handle` gives within `seconds`; what came before the time ran out otherwise.
    private static func firstLine(of handle: FileHandle, within seconds: Int) -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var readable = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(0, ContinuousClock.now.duration(to: deadline) / .milliseconds(1)))
            guard poll(&readable, 1, wait) > 0, read(handle.fileDescriptor, &byte, 1) == 1, byte != 0x0A else { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    var pid: Int32 { process.processIdentifier }

    /// Resident memory now and at its peak (VmRSS and VmHWM of /proc/PID/status), in MiB.
    func memory() -> (resident: Double, peak: Double)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Double? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Double($0) }.map { $0 / 1024 }
        }
        guard let resident = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (resident, peak)
    }

    /// The session reports written so far, one JSON object each.
    func reports() -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: reportFile.path) else { return [] }
        return data.split(separator: 0x0A).compactMap { try? JSONParser.parse(String(decoding: $0, as: UTF8.self)) }
    }

    /// Waits until `count` session reports are written, or `timeout` passed.
    func reports(count: Int, within timeout: Duration) async -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        var reports = self.reports()
        while reports.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            reports = self.reports()
        }
        return reports
    }

    /// The last `count` lines of the server's log.
    func logTail(_ count: Int) -> [String] {
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(count).map { String($0.prefix(300)) }
    }

    /// Stops the server with SIGTERM (SIGKILL after 10 s) and removes its files. Returns how it
    /// ended: nil for an exit of its own with status 0 or 1 (sessions deviated), else a sentence.
    @discardableResult
    func stop() -> String? {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        let killed = process.isRunning
        if killed { kill(pid, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
        if killed { return "livetape serve did not stop within 10 s of SIGTERM" }
        if process.terminationReason == .uncaughtSignal { return "livetape serve died of signal \(process.terminationStatus)" }
        return [0, 1].contains(process.terminationStatus) ? nil : "livetape serve exited \(process.terminationStatus)"
    }
}

/// A load run that could not start.
public struct LoadError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
