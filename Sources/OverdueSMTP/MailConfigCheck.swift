import Foundation
import OverdueCore

/// What `overdue config check` verifies beyond the TOML: every email stage's templates load
/// with only known variables, the SMTP secret (if any) is readable, the CA file exists, and the
/// outbox folder is usable. Throws the first problem as a config error (78); never prints a secret.
public func checkMailConfiguration(_ config: Config) throws(OverdueError) {
    _ = try MessageTemplates.load(config)
    try validateTransportSettings(config.smtp)
    if let inbox = config.inbox {
        _ = try readSMTPPassword(inbox.password, section: "inbox")
        if let caFile = inbox.caFile, access(caFile, R_OK) != 0 {
            throw .config("inbox.ca_file: \(caFile): \(String(cString: strerror(errno)))")
        }
    }
}
