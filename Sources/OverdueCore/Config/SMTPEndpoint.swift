import Foundation

/// What `smtp.url` names: an SMTP server (`smtp://host:port`, STARTTLS on the submission
/// port; `smtps://host:port`, implicit TLS) or the file outbox (`file:///abs/folder`), which
/// writes each message as an `.eml` file instead of sending it (for the demo and tests).
public struct SMTPEndpoint: Sendable, Equatable {
    public enum Scheme: String, Sendable { case smtp, smtps, file }

    public var scheme: Scheme
    /// Server host name or address (IPv6 without brackets); empty for the file outbox.
    public var host: String
    /// The port written in the URL, if any (libcurl defaults to 25 for smtp, 465 for smtps).
    public var port: Int?
    /// Absolute folder of the file outbox; nil for a server.
    public var outboxPath: String?

    /// Parses a URL the loader has already accepted; nil for anything else.
    public init?(url: String) {
        guard case .success(let endpoint) = SMTPEndpoint.parse(url) else { return nil }
        self = endpoint
    }

    private init(scheme: Scheme, host: String, port: Int?, outboxPath: String?) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.outboxPath = outboxPath
    }

    /// True for `localhost`, 127.0.0.0/8 and `::1`: the only hosts to which mail may travel
    /// without TLS, because it never leaves the machine.
    public var isLoopback: Bool { SMTPEndpoint.isLoopback(host: host) }

    public static func isLoopback(host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "localhost." { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets[0] == "127",
           octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && (UInt8($0) != nil) }) {
            return true
        }
        var address = in6_addr()
        guard name.contains(":"), inet_pton(AF_INET6, name, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { bytes in
            bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
        }
    }

    static func parse(_ text: String) -> Result<SMTPEndpoint, ConfigProblem> {
        guard let url = URLComponents(string: text), let rawScheme = url.scheme else {
            return .failure(ConfigProblem("\"\(text)\" is not a URL (smtp://host:587, smtps://host:465 or file:///folder)"))
        }
        guard let scheme = Scheme(rawValue: rawScheme.lowercased()) else {
            return .failure(ConfigProblem("scheme \"\(rawScheme)\" is not smtp, smtps or file"))
        }
        if url.query != nil || url.fragment != nil {
            return .failure(ConfigProblem("\"\(text)\" must not have a query or fragment"))
        }
        if url.user != nil || url.password != nil {
            return .failure(ConfigProblem("credentials do not belong in the URL; use smtp.username and smtp.password_file"))
        }
        if scheme == .file {
            let host = url.host ?? ""
            guard host.isEmpty || host == "localhost" else {
                return .failure(ConfigProblem("a file outbox URL names a local folder: file:///absolute/folder"))
            }
            let path = url.path
            guard path.hasPrefix("/"), path != "/" else {
                return .failure(ConfigProblem("a file outbox URL needs an absolute folder: file:///absolute/folder"))
            }
            return .success(SMTPEndpoint(scheme: .file, host: "", port: nil, outboxPath: URL(fileURLWithPath: path).standardizedFileURL.path))
        }
        var host = url.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return .failure(ConfigProblem("\"\(text)\" names no host")) }
        if let port = url.port, !(1...65_535).contains(port) {
            return .failure(ConfigProblem("port \(port) is out of range (1 to 65535)"))
        }
        guard url.path.isEmpty || url.path == "/" else {
            return .failure(ConfigProblem("\"\(text)\" must not have a path"))
        }
        return .success(SMTPEndpoint(scheme: scheme, host: host, port: url.port, outboxPath: nil))
    }
}

extension SMTPSettings {
    /// The parsed `url` (always present in a loaded config).
    public var endpoint: SMTPEndpoint? { SMTPEndpoint(url: url) }
}
