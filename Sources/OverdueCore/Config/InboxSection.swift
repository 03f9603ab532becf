import Foundation

/// `[inbox]`: optional; the mailbox replies and bounces arrive in, read over IMAP each tick.
/// `url` (`imaps://host[:port]/MAILBOX`, implicit TLS, or `imap://...`, STARTTLS required),
/// `username` and a password (`password_file` or `password_env`, the rules of `[smtp]`) are
/// required; `ca_file` as in `[smtp]`; `required = true` makes a tick send nothing until it has
/// read the inbox. The mailbox defaults to `INBOX`. There is no clear-text IMAP: the password
/// and the clients' mail cross the connection.
enum InboxSection {
    /// The settings; `.some(nil)` when the section is absent, nil after a reported problem.
    static func read(_ reader: ConfigTableReader, folder: String) -> InboxSettings?? {
        guard !reader.table.keys.isEmpty else { return .some(nil) }
        reader.refuseUnknownKeys(
            allowed: ["url", "username", "password_file", "password_env", "ca_file", "required"],
            hints: ["password": "the password never goes in the config file: set password_file (the systemd credential) or password_env"]
        )
        let endpoint = reader.parsed("url", required: true, IMAPEndpoint.parse)
        let username = reader.nonEmptyString("username", required: true)
        let password = SMTPSection.readSecret(reader, folder: folder, username: username)
        if password == nil, !reader.has("password_file"), !reader.has("password_env") {
            reader.fail("password_file", "is required (or password_env): overdue logs in to read the inbox")
        }
        let caFile = ConfigPaths.read(reader, "ca_file", folder: folder)
        var required = false
        if let value = reader.table["required"] {
            if let flag = value.bool { required = flag } else { reader.fail("required", "expected true or false") }
        }
        guard !reader.failed, let endpoint, let username, let password else { return nil }
        return .some(InboxSettings(endpoint: endpoint, username: username, password: password, caFile: caFile, required: required))
    }
}

/// The validated `[inbox]` section.
public struct InboxSettings: Sendable, Equatable {
    public var endpoint: IMAPEndpoint
    public var username: String
    public var password: SMTPSettings.Secret
    public var caFile: String?
    /// True: a tick that could not read the inbox sends nothing.
    public var required: Bool

    public init(endpoint: IMAPEndpoint, username: String, password: SMTPSettings.Secret, caFile: String?, required: Bool) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.caFile = caFile
        self.required = required
    }
}

/// What `inbox.url` names: server, port and mailbox.
public struct IMAPEndpoint: Sendable, Equatable {
    /// `imaps`: TLS from the first byte; `imap`: STARTTLS, required.
    public var implicitTLS: Bool
    /// Host name or address (IPv6 without brackets).
    public var host: String
    public var port: Int?
    /// The mailbox, percent-decoded (`INBOX` when the URL names none).
    public var mailbox: String

    public init(implicitTLS: Bool, host: String, port: Int?, mailbox: String) {
        self.implicitTLS = implicitTLS
        self.host = host
        self.port = port
        self.mailbox = mailbox
    }

    /// The URL libcurl connects to: scheme, host and port only (the mailbox is chosen by EXAMINE).
    public var serverURL: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(implicitTLS ? "imaps" : "imap")://\(shownHost)" + (port.map { ":\($0)" } ?? "") + "/"
    }

    static func parse(_ text: String) -> Result<IMAPEndpoint, ConfigProblem> {
        let example = "such as \"imaps://imap.example.com/INBOX\""
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased() else {
            return .failure(ConfigProblem("\"\(text)\" is not a URL \(example)"))
        }
        guard scheme == "imap" || scheme == "imaps" else {
            return .failure(ConfigProblem("\"\(text)\": the scheme must be imaps (TLS) or imap (STARTTLS), \(example)"))
        }
        guard let host = url.host, !host.isEmpty else { return .failure(ConfigProblem("\"\(text)\" names no server, \(example)")) }
        guard url.user == nil, url.password == nil else {
            return .failure(ConfigProblem("the URL must not carry a user or password; set inbox.username and inbox.password_file"))
        }
        guard url.query == nil, url.fragment == nil else { return .failure(ConfigProblem("\"\(text)\": no ?query or #fragment, \(example)")) }
        if let port = url.port, !(1...65535).contains(port) { return .failure(ConfigProblem("port \(port) is out of range")) }
        var mailbox = url.percentEncodedPath
        while mailbox.hasPrefix("/") { mailbox.removeFirst() }
        if mailbox.hasSuffix("/") { mailbox.removeLast() }
        let decoded = mailbox.removingPercentEncoding ?? mailbox
        // The mailbox goes into an IMAP command as a quoted string.
        if decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{7F}" || $0 == "\"" || $0 == "\\" }) {
            return .failure(ConfigProblem("the mailbox name must not contain control characters, quotes or backslashes"))
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return .success(IMAPEndpoint(implicitTLS: scheme == "imaps", host: bareHost, port: url.port,
                                     mailbox: decoded.isEmpty ? "INBOX" : decoded))
    }
}
