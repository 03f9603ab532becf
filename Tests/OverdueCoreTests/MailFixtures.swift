import Foundation
@testable import OverdueCore

/// A config, invoice and templates folder for mail tests, written to a fresh temporary folder.
struct MailFixture {
    let folder: String
    var config: Config
    var context: InvoiceContext

    init(text: String = "Dear {{client.name}},\ninvoice {{invoice.number}}: {{invoice.amount_due}} {{invoice.currency}}.\n",
         html: String? = nil, subject: String = "Invoice {{invoice.number}} is {{days_overdue}} days overdue",
         clientName: String = "Acme Ltd", emails: [String] = ["ap@acme.example"], number: String = "INV-7") throws {
        folder = NSTemporaryDirectory() + "overdue-mail-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/templates", withIntermediateDirectories: true)
        try text.write(toFile: folder + "/templates/reminder.txt", atomically: true, encoding: .utf8)
        if let html { try html.write(toFile: folder + "/templates/reminder.html", atomically: true, encoding: .utf8) }
        let configPath = folder + "/overdue.toml"
        try "[[stage]]\nname = \"reminder-30\"\ndays = 30\ntemplate = \"reminder\"\nsubject = \"x\"\n"
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let eur = Currency(code: "EUR")!
        config = Config(
            path: configPath,
            daemon: DaemonSettings(interval: Interval(seconds: 900), timezone: TimeZone(identifier: "Europe/Berlin")!,
                                   database: folder + "/db.sqlite", templates: folder + "/templates"),
            sendWindow: nil,
            business: Business(name: "Jane Doe Design", from: try Mailbox(parsing: "Jane Doe Design <billing@janedoe.example>"),
                               replyTo: try Mailbox(address: "jane@janedoe.example"), owner: try Mailbox(address: "jane@janedoe.example"),
                               paymentURL: "https://pay.example/{invoice}", smallClaimsLimit: nil),
            smtp: SMTPSettings(url: "file://\(folder)/outbox", starttls: .required, username: nil, password: nil, caFile: nil,
                               timeout: Interval(seconds: 10)),
            delivery: DeliveryPolicy(retry: [], giveUpAfter: Interval(seconds: 86400), minDaysBetween: 3),
            stages: [Stage(name: "reminder-30", days: 30, action: .email, template: "reminder", subject: subject,
                           cc: [.owner], fees: [Money(minorUnits: 4000, currency: Currency(code: "EUR")!)])])
        let invoice = Invoice(number: number, clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                              amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 20_000, currency: eur))
        context = InvoiceContext(invoice: invoice, client: Client(id: "acme", name: clientName, emails: emails), dispatches: [])
    }

    var stage: Stage { config.stages[0] }

    func message(at instant: Date = Date(timeIntervalSince1970: 1_772_355_603)) throws -> OutgoingMessage {
        let templates = try MessageTemplates.load(config)
        return try templates.reminder(config: config, context: context, stage: stage,
                                      amountDue: Money(minorUnits: 104_000, currency: context.invoice.currency),
                                      daysOverdue: 30, at: instant, messageID: "<abc123@janedoe.example>")
    }
}

extension OutgoingMessage {
    var text: String { String(decoding: data, as: UTF8.self) }
    /// The header block, unfolded, as (name, value) pairs.
    var headers: [(String, String)] {
        let head = text.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        return head.components(separatedBy: "\r\n").map { line in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
    }
}
