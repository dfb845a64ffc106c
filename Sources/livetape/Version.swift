import CPcap
import CZlib

/// `livetape --version`: the tool's version and the system libraries it reads captures with.
enum LiveTapeVersion {
    static let number = "0.1.0"

    static var description: String {
        "livetape \(number) (zlib \(String(cString: zlibVersion())), \(String(cString: pcap_lib_version())))"
    }
}
