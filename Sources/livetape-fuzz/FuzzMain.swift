import Foundation
import FuzzTargets
#if LIBFUZZER
import CLibFuzzer
#endif

/// The target named by LIVETAPE_FUZZ_TARGET, read once.
let selectedTarget = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["LIVETAPE_FUZZ_TARGET"] ?? "")

#if LIBFUZZER
/// libFuzzer's callback: one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget, let data else { return 0 }
    target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#endif

/// Built by `tools/fuzz` with `-sanitize=fuzzer` and `LIBFUZZER` defined, this is a libFuzzer
/// program (every libFuzzer option works). Built without them, it runs the files it is given
/// through the target, one by one, so that a finding reproduces in a debug build.
@main
enum FuzzMain {
    static func main() {
        guard let target = selectedTarget else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("livetape-fuzz: set LIVETAPE_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(64)
        }
        #if LIBFUZZER
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("livetape-fuzz: cannot read \(path)\n".utf8))
                exit(2)
            }
            target.run([UInt8](data))
            print("\(path): ok")
        }
        #endif
    }
}
