/// `[smtp]`: `url` is required. Defaults: `starttls = "required"`, `timeout = "30s"`; no
/// username, password or CA file.
///
/// `starttls = "none"` sends in clear text, so it is refused unless the server is on this
/// machine (loopback) or the connection is already TLS (`smtps`) or there is no connection
/// at all (file outbox). The password is never in the file: `password_file` (the systemd
/// credential) or `password_env` names where to read it. A relative `password_file` is a
/// credential name, looked up where the service's `LoadCredential=` put it or beside the config.
enum SMTPSection {
    static let defaultTimeout = Interval("30s")!
    static let maxTimeout = Interval("1h")!

    static func read(_ reader: ConfigTableReader, folder: String) -> SMTPSettings? {
        reader.refuseUnknownKeys(
            allowed: ["url", "starttls", "username", "password_file", "password_env", "ca_file", "timeout", "ehlo_name"],
            hints: ["password": "the password never goes in the config file: set password_file (the systemd credential) or password_env"]
        )
        let parsedURL = reader.parsed("url", required: true) { text in SMTPEndpoint.parse(text).map { (text, $0) } }
        let (url, endpoint) = (parsedURL?.0, parsedURL?.1)
        let starttls = reader.parsed("starttls") { text in
            SMTPSettings.StartTLS(rawValue: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not required or none"))
        } ?? .required
        if starttls == .none, let endpoint, endpoint.scheme == .smtp, !endpoint.isLoopback {
            reader.fail("starttls", "\"none\" would send mail and password in clear text to \(endpoint.host); it is allowed only for a loopback host (127.0.0.1, ::1, localhost)")
        }
        let username = reader.nonEmptyString("username")
        let passwordFile = ConfigPaths.secret(reader, "password_file", folder: folder)
        let passwordEnv = reader.parsed("password_env") { name -> Result<String, ConfigProblem> in
            isEnvironmentName(name) ? .success(name)
                : .failure(ConfigProblem("\"\(name)\" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"))
        }
        var password: SMTPSettings.Secret?
        switch (passwordFile, passwordEnv) {
        case (let file?, nil): password = file
        case (nil, let name?): password = .environment(name)
        case (.some, .some): reader.fail("password_env", "set either password_file or password_env, not both")
        case (nil, nil): break
        }
        if password != nil, username == nil, !reader.has("username") {
            reader.fail(passwordFile != nil ? "password_file" : "password_env", "a password needs smtp.username")
        }
        let caFile = ConfigPaths.read(reader, "ca_file", folder: folder)
        let timeout = reader.interval("timeout", atMost: maxTimeout) ?? defaultTimeout
        let ehloName = reader.parsed("ehlo_name", checkHostName)
        guard !reader.failed, let url else { return nil }
        return SMTPSettings(url: url, starttls: starttls, username: username, password: password,
                            caFile: caFile, timeout: timeout, ehloName: ehloName)
    }

    /// A host name for EHLO: dot-separated labels of letters, digits and '-'.
    static func checkHostName(_ text: String) -> Result<String, ConfigProblem> {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let valid = text.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        return valid ? .success(text) : .failure(ConfigProblem("\"\(text)\" is not a host name such as \"mail.example.com\""))
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
