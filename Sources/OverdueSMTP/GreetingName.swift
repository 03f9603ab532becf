import Foundation
import OverdueCore

/// The name libcurl greets the server with: `smtp.ehlo_name`, else this host's fully qualified
/// name. (Left to itself libcurl says `EHLO` with the short host name, `vm` for `vm.example.com`.)
public func greetingName(for settings: SMTPSettings) -> String {
    settings.greetingName(hostNames: settings.ehloName == nil ? localHostNames() : [])
}

/// This host's names, best first: the canonical name `getaddrinfo(AI_CANONNAME)` resolves
/// `gethostname()` to (the fully qualified name from /etc/hosts or DNS), then `gethostname()`.
func localHostNames() -> [String] {
    var buffer = [UInt8](repeating: 0, count: 256)
    let status = buffer.withUnsafeMutableBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count - 1) }
    }
    guard status == 0 else { return [] }
    let short = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    guard !short.isEmpty else { return [] }
    var hints = addrinfo()
    hints.ai_flags = AI_CANONNAME
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(short, nil, &hints, &result) == 0, let first = result else { return [short] }
    defer { freeaddrinfo(result) }
    guard let canonical = first.pointee.ai_canonname else { return [short] }
    return [String(cString: canonical), short]
}
