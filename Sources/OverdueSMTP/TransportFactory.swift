import Foundation
import OverdueCore

/// The transport `smtp.url` names: the file outbox for `file:///path`, libcurl SMTP otherwise.
///
/// The password is read here, once, so a missing or unreadable secret is a configuration
/// error (78) naming the file or variable, reported before anything is sent.
public func makeTransport(_ settings: SMTPSettings) throws(OverdueError) -> any MailTransport {
    if settings.isFileOutbox {
        return FileOutboxTransport(folder: try outboxFolder(settings))
    }
    let password = try settings.password.map { secret throws(OverdueError) in try readPassword(secret) }
    if settings.username == nil, password != nil {
        throw .config("smtp.username: a password is configured but no username to log in with")
    }
    return try CurlSMTPTransport(settings, password: password)
}

/// Checks everything `makeTransport` would without connecting: the URL, STARTTLS policy,
/// the outbox folder, and that the secret is readable (its value is discarded).
public func validateTransportSettings(_ settings: SMTPSettings) throws(OverdueError) {
    if settings.isFileOutbox {
        let folder = try outboxFolder(settings)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
           !isDirectory.boolValue || access(folder, W_OK) != 0 {
            throw .config("smtp.url: outbox \(folder) is not a writable folder")
        }
        return
    }
    _ = try SMTPServerAddress(settings)
    if let secret = settings.password { _ = try readPassword(secret) }
    if let caFile = settings.caFile, access(caFile, R_OK) != 0 {
        throw .config("smtp.ca_file: \(caFile): \(String(cString: strerror(errno)))")
    }
}

/// The folder of a `file:///path` URL.
func outboxFolder(_ settings: SMTPSettings) throws(OverdueError) -> String {
    guard let url = URL(string: settings.url), url.isFileURL, !url.path.isEmpty else {
        throw .config("smtp.url: \"\(settings.url.escapingControls())\" is not a file:///absolute/path URL")
    }
    return url.path
}
