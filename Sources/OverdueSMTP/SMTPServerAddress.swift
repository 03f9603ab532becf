import Foundation
import OverdueCore

/// The SMTP server libcurl talks to and how the connection is secured, from `smtp.url` and
/// `smtp.starttls` (re-checked here so a transport is never built insecure, whoever made the settings).
struct SMTPServerAddress: Equatable {
    enum Security: Equatable {
        /// `smtps://`: TLS from the first byte.
        case implicitTLS
        /// `smtp://` upgraded with STARTTLS; the send fails if the server does not offer it.
        case startTLS
        /// `smtp://` in clear text; allowed only to a loopback host.
        case none
    }

    /// The URL handed to libcurl (never contains credentials). libcurl greets the server with
    /// the URL's path (`smtp://host:587/NAME` says `EHLO NAME`), so the greeting is its path.
    let url: String
    let host: String
    let security: Security

    /// - Parameter greeting: the EHLO name (`greetingName(for:)`); nil leaves libcurl's own.
    init(_ settings: SMTPSettings, greeting: String? = nil) throws(OverdueError) {
        guard let components = URLComponents(string: settings.url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw .config("smtp.url: \"\(settings.url.escapingControls())\" is not an smtp://, smtps:// or file:// URL")
        }
        guard components.user == nil, components.password == nil else {
            throw .config("smtp.url: credentials belong in smtp.username and smtp.password_file/password_env, not in the URL")
        }
        let base = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        // A host name (letters, digits, '-', '.') needs no percent-encoding in a path.
        self.url = greeting.map { base + "/" + $0 } ?? settings.url
        self.host = host
        switch (scheme, settings.starttls) {
        case ("smtps", _): security = .implicitTLS
        case ("smtp", .required): security = .startTLS
        case ("smtp", .none):
            guard SMTPEndpoint.isLoopback(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) else {
                throw .config("smtp.starttls: \"none\" is refused for \(host): plain text is allowed only to a loopback host")
            }
            security = .none
        default:
            throw .config("smtp.url: unsupported scheme \"\(scheme)\" (expected smtp, smtps or file)")
        }
    }
}
