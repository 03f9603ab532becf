/// The bad-debt list for the accountant (`overdue report write-offs --year Y`): each invoice
/// written off in that calendar year, with the amount written off (its balance: amount plus
/// fees charged minus paid) and the collection attempts on record.
public enum WriteOffReport {
    public struct Row: Sendable, Equatable {
        public var invoice: Invoice
        public var client: Client
        public var writtenOffOn: LocalDate
        /// Client emails sent for the invoice, oldest first (stage, local date).
        public var reminders: [(stage: String, date: LocalDate)]
        /// The date the letter before action went out, if it did.
        public var demandOn: LocalDate?

        public init(invoice: Invoice, client: Client, writtenOffOn: LocalDate, reminders: [(stage: String, date: LocalDate)],
                    demandOn: LocalDate?) {
            self.invoice = invoice
            self.client = client
            self.writtenOffOn = writtenOffOn
            self.reminders = reminders
            self.demandOn = demandOn
        }

        public static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.invoice == rhs.invoice && lhs.writtenOffOn == rhs.writtenOffOn && lhs.demandOn == rhs.demandOn
                && lhs.reminders.map { "\($0.stage) \($0.date)" } == rhs.reminders.map { "\($0.stage) \($0.date)" }
        }

        public var amountWrittenOff: Money { invoice.balance }

        /// The attempts in words, for the accountant's "evidence of collection" column.
        public var evidence: String {
            var parts = reminders.isEmpty ? ["no reminder sent"]
                : ["\(reminders.count) reminder\(reminders.count == 1 ? "" : "s") sent: "
                    + reminders.map { "\($0.stage) \($0.date)" }.joined(separator: ", ")]
            if let demandOn { parts.append("letter before action \(demandOn)") }
            parts.append("evidence packet: overdue evidence \(invoice.number)")
            return parts.joined(separator: "; ")
        }
    }

    public static let header = ["invoice", "client", "client_name", "issue_date", "due_date", "written_off_on", "currency",
                                "amount_written_off", "reminders_sent", "last_reminder", "evidence"]

    public static func cells(_ row: Row) -> [String] {
        [row.invoice.number, row.client.id, row.client.name, row.invoice.issueDate.description, row.invoice.dueDate.description,
         row.writtenOffOn.description, row.invoice.currency.code, row.amountWrittenOff.decimalString, String(row.reminders.count),
         row.reminders.last.map { $0.date.description } ?? "", row.evidence]
    }
}
