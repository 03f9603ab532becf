import OverdueCore

/// What `overdue config check` verifies beyond the TOML: every email stage's templates load
/// with only known variables, the SMTP secret (if any) is readable, the CA file exists, and the
/// outbox folder is usable. Throws the first problem as a config error (78); never prints a secret.
public func checkMailConfiguration(_ config: Config) throws(OverdueError) {
    _ = try MessageTemplates.load(config)
    try validateTransportSettings(config.smtp)
}
