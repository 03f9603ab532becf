import ArgumentParser
import OverdueCore

@main
struct Overdue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue",
        abstract: "Gets invoices paid: a ledger, an escalation ladder, and reminders sent on time.",
        discussion: """
            overdue keeps a ledger of invoices in SQLite, wakes on a timer, and walks every unpaid
            invoice up the escalation ladder configured in overdue.toml: courtesy note, reminders,
            final notice, and a hand-off to the owner. Every step is recorded in a hash-chained
            audit trail.

            Config: --config PATH, else $OVERDUE_CONFIG, else /etc/overdue/overdue.toml.
            Exit codes (sysexits): 0 ok, 64 usage, 65 bad data, 69 unavailable, 73 cannot create,
            74 I/O, 75 temporary failure, 77 permission/auth, 78 configuration.
            """,
        version: OverdueVersion.current,
        subcommands: [
            RunCommand.self, TickCommand.self, InitCommand.self, PlanCommand.self, ImportCommand.self,
            ImportPaymentsCommand.self, InvoiceCommand.self, ClientCommand.self, AuditCommand.self, StatusCommand.self,
            ConfigCommand.self, PreviewCommand.self, SendTestCommand.self,
            EvidenceCommand.self,
            ReportCommand.self,
            LedgerCommand.self,
        ]
    )
}
