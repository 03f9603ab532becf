import Foundation
import OverdueCore

/// The production `MessageComposer`: addresses and headers from the config and the dispatch,
/// the text from a rendering function (the configured Mustache templates), the bytes from
/// `MessageBuilder`, and Message-IDs from `MessageIDGenerator` keyed by the dispatch id, so
/// every attempt at one dispatch carries the same Message-ID.
public final class LedgerComposer: MessageComposer {
    /// What a stage's templates produce for one reminder.
    public struct Rendered: Sendable {
        public var subject: String
        public var text: String
        public var html: String?

        public init(subject: String, text: String, html: String?) {
            self.subject = subject
            self.text = text
            self.html = html
        }
    }

    private let config: Config
    private let ids: MessageIDGenerator
    private let render: (ReminderRequest) throws -> Rendered

    /// - Parameter render: renders a stage's subject and templates for one reminder; throws
    ///   `OverdueError` when it cannot.
    public init(config: Config, messageIDs: MessageIDGenerator, render: @escaping (ReminderRequest) throws -> Rendered) {
        self.config = config
        self.ids = messageIDs
        self.render = render
    }

    private var domain: String {
        String(config.business.from.address.split(separator: "@").last ?? "localhost")
    }

    public func reminder(_ request: ReminderRequest, messageID: String?, at instant: Date) throws -> OutgoingMessage {
        let rendered = try render(request)
        let client = request.context.client
        let to = try request.dispatch.recipients.map { address in
            if let named = try? Mailbox(displayName: client.name, address: address) { return named }
            do {
                return try Mailbox(parsing: address)
            } catch {
                throw OverdueError.data("invoice \(request.dispatch.invoiceNumber): client \(client.id): \(error)")
            }
        }
        let id = messageID ?? ids.messageID(invoice: request.dispatch.invoiceNumber, stage: request.dispatch.stage,
                                            nonce: String(request.dispatch.id), domain: domain)
        let content = MailContent(from: config.business.from, to: to, cc: resolve(request.stage.cc), bcc: resolve(request.stage.bcc),
                                  replyTo: config.business.replyTo, subject: rendered.subject, date: instant,
                                  timeZone: config.daemon.timezone, messageID: id, text: rendered.text, html: rendered.html)
        return try build(content, invoice: request.dispatch.invoiceNumber)
    }

    public func ownerNotice(_ notice: OwnerNotice, messageID: String?, at instant: Date) throws -> OutgoingMessage {
        // A failure notice has no dispatch of its own; its nonce says which failure it reports.
        let nonce = "\(notice.kind.rawValue)/\(Int(instant.timeIntervalSince1970))"
        let id = messageID ?? ids.messageID(invoice: notice.invoice, stage: notice.stage, nonce: nonce, domain: domain)
        let content = MailContent(from: config.business.from, to: [config.business.owner], subject: notice.subject,
                                  date: instant, timeZone: config.daemon.timezone, messageID: id, text: notice.body,
                                  autoSubmitted: true)
        return try build(content, invoice: notice.invoice)
    }

    private func resolve(_ recipients: [Stage.Recipient]) -> [Mailbox] {
        recipients.map { recipient in
            switch recipient {
            case .owner: config.business.owner
            case .address(let mailbox): mailbox
            }
        }
    }

    private func build(_ content: MailContent, invoice: String) throws -> OutgoingMessage {
        do {
            return try MessageBuilder.build(content)
        } catch {
            throw OverdueError.data("invoice \(invoice): message refused: \(error)")
        }
    }
}
