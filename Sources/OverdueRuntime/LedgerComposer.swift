import Foundation
import OverdueCore

/// The production `MessageComposer`: reminders from the configured templates
/// (`MessageTemplates`), owner notices from the built-in texts (and their HTML), both encoded by
/// `MessageBuilder`, with Message-IDs from `MessageIDGenerator` keyed by the dispatch id, so
/// every attempt at one dispatch carries the same Message-ID.
///
/// A retry goes to the client's addresses as the ledger holds them at that attempt, so an
/// address corrected after a bounce is used.
public final class LedgerComposer: MessageComposer {
    private let config: Config
    private let templates: MessageTemplates
    private let ids: MessageIDGenerator

    public init(config: Config, templates: MessageTemplates, messageIDs: MessageIDGenerator) {
        self.config = config
        self.templates = templates
        self.ids = messageIDs
    }

    private var domain: String { config.business.from.domain }

    public func reminder(_ request: ReminderRequest, messageID: String?, at instant: Date) throws -> OutgoingMessage {
        let id = messageID ?? ids.messageID(invoice: request.dispatch.invoiceNumber, stage: request.dispatch.stage,
                                            nonce: String(request.dispatch.id), domain: domain)
        return try templates.reminder(config: config, context: request.context, stage: request.stage,
                                      amountDue: request.amountDue, daysOverdue: request.daysOverdue,
                                      at: instant, messageID: id)
    }

    public func ownerNotice(_ notice: OwnerNotice, messageID: String?, at instant: Date) throws -> OutgoingMessage {
        // A failure notice has no dispatch of its own; its nonce says which failure it reports.
        let nonce = "\(notice.kind.rawValue)/\(Int(instant.timeIntervalSince1970))"
        let id = messageID ?? ids.messageID(invoice: notice.invoice, stage: notice.stage, nonce: nonce, domain: domain)
        let content = MailContent(from: config.business.from, to: [config.business.owner], subject: notice.subject,
                                  date: instant, timeZone: config.daemon.timezone, messageID: id, text: notice.body,
                                  html: notice.html, autoSubmitted: true)
        return try build(content, invoice: notice.invoice)
    }

    private func build(_ content: MailContent, invoice: String) throws -> OutgoingMessage {
        do {
            return try MessageBuilder.build(content)
        } catch {
            throw OverdueError.data("invoice \(invoice): message refused: \(error)")
        }
    }
}
