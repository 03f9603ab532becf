import ArgumentParser
import Foundation
import OverdueCore
import OverduePostgres
import OverdueSMTP

/// `overdue config check`: validates the config like `nginx -t`, so an edit can be tested
/// before `systemctl reload overdue`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate the config file, its templates and that secrets are readable.",
            discussion: """
                Prints "PATH: ok" and a one-line summary, exit 0 (warnings, such as an SMTP
                greeting name without a dot, go to stderr). On a problem, prints every error as
                FILE:LINE: section.key: problem, exit 78.
                """
        )
        @OptionGroup var options: ConfigOption

        func run() throws {
            try runReportingErrors {
                let config = try ConfigLoader.load(path: options.path)
                try checkMailConfiguration(config)
                // Only a ledger that exists: checking a config must not create one.
                if PostgresLedgerStore.handles(config.daemon.database)
                    ? try PostgresLedgerStore.ledgerExists(url: config.daemon.database,
                                                           password: config.daemon.databasePassword.map { try readPassword($0, key: "daemon.password_file") })
                    : FileManager.default.fileExists(atPath: config.daemon.database) {
                    try checkStageHistory(config, try openLedger(config))
                }
                // Checks beyond the file itself go here, each throwing an OverdueError(.config)
                // that names file, line and key: templates exist and render with only known
                // variables, and the SMTP password can be read.
                // A dotless greeting works with many servers, so it is a warning, not an error.
                if !config.smtp.isFileOutbox, let warning = config.smtp.greetingWarning(for: greetingName(for: config.smtp)) {
                    printError(warning)
                }
                print("\(options.path): ok")
                print(Check.summary(of: config))
            }
        }

        /// `6 stages (courtesy -3d … hand-off 90d), timezone Europe/Berlin, every 15m, mail via smtp://…`
        static func summary(of config: Config) -> String {
            let ladder = config.stages.map { "\($0.name) \($0.days)d" }.joined(separator: ", ")
            let stages = "\(config.stages.count) stage\(config.stages.count == 1 ? "" : "s") (\(ladder))"
            let mail = config.smtp.endpoint?.outboxPath.map { "file outbox \($0)" } ?? config.smtp.url
            let window = config.sendWindow == nil ? "" : ", send window set"
            return "\(stages); timezone \(config.daemon.timezone.identifier), every \(config.daemon.interval)\(window); "
                + "mail via \(mail); database \(config.daemon.database)"
        }
    }
}
