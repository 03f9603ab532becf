import ArgumentParser
import Foundation
import OverdueCore
import OverdueSMTP

/// `overdue send-test --to ADDR`: one message through the configured server, to prove the
/// settings before the daemon relies on them. The exit code says how it ended.
struct SendTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract: "Send one test message through the configured SMTP server.",
        discussion: """
            Prints the server's final reply. Exit 0 delivered, 75 temporary failure (4xx,
            timeout, connection refused), 69 permanent failure (5xx, TLS handshake or
            certificate), 77 authentication refused, 78 configuration error.
            """
    )

    @OptionGroup var options: ConfigOption
    @Option(help: ArgumentHelp("Recipient address.", valueName: "ADDR")) var to: String
    /// For Benchmarks/smtp_bench.sh: send this many copies over one connection and print the time.
    @Option(name: .customLong("bench-count"), help: .hidden) var benchCount: Int = 1
    /// For the benchmark: pad the body to about this many bytes (like smtp-source -l).
    @Option(name: .customLong("bench-size"), help: .hidden) var benchSize: Int = 0

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let recipient: Mailbox
            do {
                recipient = try Mailbox(parsing: to)
            } catch {
                throw OverdueError.usage("--to: \(error)")
            }
            guard benchCount >= 1 else { throw OverdueError.usage("--bench-count: must be at least 1") }
            let transport = try makeTransport(config.smtp)
            defer { transport.close() }
            let messages = try SendTestCommand.messages(config: config, to: recipient, count: benchCount, size: benchSize)

            let started = DispatchTime.now()
            var result = DeliveryResult.delivered(reply: "")
            for message in messages {
                result = transport.send(message)
                guard case .delivered = result else { break }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            switch result {
            case .delivered(let reply):
                print("delivered: \(reply)")
                if benchCount > 1 { print(String(format: "sent %d messages in %.3f s", benchCount, seconds)) }
            case .temporary(_, let reply), .unavailable(.connection, let reply):
                throw OverdueError(.tempFailure, "send-test: temporary failure, try again later: \(reply)")
            case .ambiguous(let reply):
                throw OverdueError(.tempFailure, "send-test: outcome unknown (the message was sent but no final reply came; it may have arrived): \(reply)")
            case .permanent(_, let reply), .unavailable(.security, let reply):
                throw OverdueError(.unavailable, "send-test: permanent failure: \(reply)")
            case .authenticationRefused(_, let reply):
                throw OverdueError(.noPermission, "send-test: authentication refused for smtp.username \(config.smtp.username ?? "(none)"): \(reply)")
            }
        }
    }

    /// The test message(s): plain text, marked auto-generated, each with its own Message-ID.
    static func messages(config: Config, to recipient: Mailbox, count: Int, size: Int) throws -> [OutgoingMessage] {
        let ids = MessageIDGenerator(secret: MessageIDGenerator.newSecret())
        let run = UUID().uuidString
        var text = """
            This is a test message from overdue for \(config.business.name).

            If you can read it, the SMTP settings in \(config.path) work: reminders will be
            sent through \(config.smtp.url).

            """
        while text.utf8.count < size { text += String(repeating: "x", count: min(72, size - text.utf8.count)) + "\n" }
        return try (0..<count).map { index in
            let content = MailContent(
                from: config.business.from, to: [recipient], replyTo: config.business.replyTo,
                subject: "overdue test message for \(config.business.name)", date: commandClock.now(), timeZone: config.daemon.timezone,
                messageID: ids.messageID(invoice: "send-test", stage: run, nonce: String(index), domain: config.business.from.domain),
                text: text, autoSubmitted: true)
            do {
                return try MessageBuilder.build(content)
            } catch {
                throw OverdueError.config("business: cannot build the test message: \(error)")
            }
        }
    }
}
