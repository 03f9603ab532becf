import Foundation

/// The validated configuration: what `overdue.toml` says, with every value already checked
/// and typed. Built only by `ConfigLoader`; nothing downstream re-validates.
public struct Config: Sendable {
    /// The file it was loaded from (for messages and for resolving relative paths).
    public var path: String
    public var daemon: DaemonSettings
    public var sendWindow: SendWindow?
    public var business: Business
    public var smtp: SMTPSettings
    public var delivery: DeliveryPolicy
    /// Ordered by strictly increasing `days`.
    public var stages: [Stage]
    /// `[import] watch`: the folder each tick imports new CSV files from (absolute); nil when unset.
    public var importWatch: String?
    /// `[import]` format keys: how invoice files (imported or dropped in `watch`) are laid out.
    public var importFormat: ImportFormat = .overdue
    /// `[interest]`: statutory or fixed interest and compensation; nil when the section is absent.
    public var interest: InterestPolicy?
    /// `[inbox]`: where replies and bounces arrive; nil when unset.
    public var inbox: InboxSettings?
    /// `[audit] witness`: how often the audit chain's head is mailed to the owner; nil when unset.
    public var auditWitness: Interval?

    public init(path: String, daemon: DaemonSettings, sendWindow: SendWindow?, business: Business,
                smtp: SMTPSettings, delivery: DeliveryPolicy, stages: [Stage]) {
        self.path = path
        self.daemon = daemon
        self.sendWindow = sendWindow
        self.business = business
        self.smtp = smtp
        self.delivery = delivery
        self.stages = stages
    }

    /// The import format, read as `kind` instead of the configured one (`import --format`);
    /// a config error (exit 78) when the config lacks what `kind` needs.
    public func importFormat(as kind: ImportFormat.Kind?) throws -> ImportFormat {
        guard let kind else { return importFormat }
        if let problem = ImportSection.problem(importFormat, as: kind) { throw OverdueError(.config, "\(path): \(problem)") }
        var format = importFormat
        format.kind = kind
        return format
    }

    /// The stage a dispatch's stage name refers to: by its name, or by a name it used to have.
    public func stage(named name: String) -> Stage? { stages.stage(answeringTo: name) }

    /// The stage names in `dispatched` (as the ledger records them) that no stage of this config
    /// answers to by name or by `renamed_from`, sorted. A config that drops such a name would
    /// treat the renamed stage as new and send it again to every invoice that had it.
    public func unaccountedStageNames(_ dispatched: some Sequence<String>) -> [String] {
        Set(dispatched).filter { stage(named: $0) == nil }.sorted()
    }

    /// Refuses (exit 78) this config when `unaccountedStageNames(dispatched)` is not empty.
    /// `configText` (the file's text) lets the error name the line of the first `[[stage]]`;
    /// `ledger` names the database in the message.
    public func checkStagesAccountedFor(_ dispatched: some Sequence<String>, configText: String?, ledger: String) throws(OverdueError) {
        let missing = unaccountedStageNames(dispatched)
        guard let first = missing.first else { return }
        let line = configText.flatMap { ConfigLoader.line(in: $0, table: "stage", index: 0) }
        let place = line.map { "\(path):\($0)" } ?? path
        let names = missing.map { "\"\($0)\"" }.joined(separator: ", ")
        throw OverdueError(.config, "\(place): stage: the ledger \(ledger) has reminders of stage\(missing.count == 1 ? "" : "s") \(names), "
            + "which no [[stage]] is named any more; give the stage that replaced it its old name back, or add renamed_from = [\"\(first)\"] to it")
    }
}

public struct DaemonSettings: Sendable {
    public var interval: Interval
    public var timezone: TimeZone
    /// Absolute path of the SQLite database, or a `postgresql://` URL.
    public var database: String
    /// `password_file` of a PostgreSQL database (nil: libpq's PGPASSFILE or service file).
    public var databasePassword: SMTPSettings.Secret?
    /// Absolute path of the templates folder (default: `templates` beside the config file).
    public var templates: String
    public init(interval: Interval, timezone: TimeZone, database: String, templates: String) {
        self.interval = interval
        self.timezone = timezone
        self.database = database
        self.templates = templates
    }
}

/// When mail may go out. Open when the local weekday is in `days`, the local date is not a
/// holiday, and `start <= local time < end`.
public struct SendWindow: Sendable, Equatable {
    public var days: Set<Weekday>
    public var start: LocalTime
    public var end: LocalTime
    public var holidays: Set<LocalDate>

    public init(days: Set<Weekday>, start: LocalTime, end: LocalTime, holidays: Set<LocalDate>) {
        self.days = days
        self.start = start
        self.end = end
        self.holidays = holidays
    }

    public func isOpen(at local: LocalDateTime) -> Bool {
        days.contains(local.date.weekday) && !holidays.contains(local.date)
            && start <= local.time && local.time < end
    }

    /// The first instant at or after `instant` at which the window is open, reading the wall clock
    /// in `zone`; nil when it never opens (no weekday in `days`). On a day whose `start` falls in
    /// a DST gap the window opens when the clock jumps past it; a window wholly inside the gap
    /// does not open that day.
    public func nextOpening(after instant: Date, in zone: TimeZone) -> Date? {
        let now = LocalDateTime(instant, in: zone)
        if isOpen(at: now) { return instant }
        guard !days.isEmpty, start < end else { return nil }
        // Seven consecutive days that are not holidays include an open weekday; a DST gap can
        // swallow a short window on at most a couple of days more.
        for offset in 0...(holidays.count + 9) {
            let date = now.date.adding(days: offset)
            guard days.contains(date.weekday), !holidays.contains(date) else { continue }
            let opening = SendWindow.firstInstant(readingAtLeast: LocalDateTime(date: date, time: start), in: zone)
            if opening > instant, isOpen(at: LocalDateTime(opening, in: zone)) { return opening }
        }
        return nil
    }

    /// The first instant whose wall clock in `zone` reads `wall` or later: `wall` itself, or when
    /// a DST gap skips it, the instant the clock jumps.
    static func firstInstant(readingAtLeast wall: LocalDateTime, in zone: TimeZone) -> Date {
        func reaches(_ instant: Date) -> Bool {
            let local = LocalDateTime(instant, in: zone)
            return (local.date, local.time) >= (wall.date, wall.time)
        }
        let guess = wall.date.instant(at: wall.time, in: zone)
        guard LocalDateTime(guess, in: zone) != wall else { return guess }
        // In a gap the guess reads later than `wall`; a gap is shorter than a day.
        var before = guess.timeIntervalSince1970 - 86_400, after = guess.timeIntervalSince1970
        while after - before > 1 {
            let middle = ((before + after) / 2).rounded(.down)
            if reaches(Date(timeIntervalSince1970: middle)) { after = middle } else { before = middle }
        }
        return Date(timeIntervalSince1970: after)
    }
}

public struct Business: Sendable {
    public var name: String
    /// The From mailbox (display name + address).
    public var from: Mailbox
    public var replyTo: Mailbox?
    /// The owner's address: receives escalations, failure notices and `cc = ["owner"]` copies.
    public var owner: Mailbox
    /// With `{invoice}` to be replaced by the (percent-encoded) invoice number.
    public var paymentURL: String?
    public var smallClaimsLimit: Money?
    /// How messages format money and dates for people (`en-GB`, `de-DE`, `ja-JP`).
    public var locale: String
    /// How to pay (bank details, the reference to quote), `{invoice}` filled in per invoice; shown by every stage.
    public var paymentInstructions: String?
    /// The letter's signature block (person, phone, address, VAT id), possibly several lines.
    public var signature: String?

    public init(name: String, from: Mailbox, replyTo: Mailbox?, owner: Mailbox, paymentURL: String?, smallClaimsLimit: Money?,
                locale: String = Business.defaultLocale, paymentInstructions: String? = nil, signature: String? = nil) {
        self.name = name
        self.from = from
        self.replyTo = replyTo
        self.owner = owner
        self.paymentURL = paymentURL
        self.smallClaimsLimit = smallClaimsLimit
        self.locale = locale
        self.paymentInstructions = paymentInstructions
        self.signature = signature
    }

    public static let defaultLocale = "en-GB"
}

public struct SMTPSettings: Sendable {
    public enum StartTLS: String, Sendable { case required, none }
    public enum Secret: Sendable, Equatable {
        /// An absolute path.
        case file(String)
        /// A relative `password_file`: `$CREDENTIALS_DIRECTORY/NAME` when that is set (inside the
        /// systemd service), else `besideConfig` (the same name in the config file's folder).
        case credential(name: String, besideConfig: String)
        case environment(String)
    }

    /// `smtp://host:port`, `smtps://host:port`, or `file:///path/to/outbox` for the file outbox
    /// (parsed: `endpoint`, whose `outboxPath` is where the file outbox writes `.eml` files).
    public var url: String
    public var starttls: StartTLS
    public var username: String?
    public var password: Secret?
    public var caFile: String?
    public var timeout: Interval
    /// The EHLO greeting name; nil: this host's fully qualified name.
    public var ehloName: String?

    public init(url: String, starttls: StartTLS, username: String?, password: Secret?, caFile: String?, timeout: Interval,
                ehloName: String? = nil) {
        self.url = url
        self.starttls = starttls
        self.username = username
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
        self.ehloName = ehloName
    }

    /// True when the URL names the file outbox rather than an SMTP server.
    public var isFileOutbox: Bool { url.hasPrefix("file://") }
}

public struct DeliveryPolicy: Sendable {
    public var retry: [Interval]
    public var giveUpAfter: Interval
    public var minDaysBetween: Int
    /// A hand-off (`escalate`, `write-off`) waits this many days after the last client email.
    public var finalNoticeDays: Int

    public init(retry: [Interval], giveUpAfter: Interval, minDaysBetween: Int, finalNoticeDays: Int = DeliveryPolicy.defaultFinalNoticeDays) {
        self.retry = retry
        self.giveUpAfter = giveUpAfter
        self.minDaysBetween = minDaysBetween
        self.finalNoticeDays = finalNoticeDays
    }

    public static let defaultFinalNoticeDays = 14
}

extension Collection where Element == Stage {
    /// The stage called `name`, else the one whose `renamed_from` lists it.
    public func stage(answeringTo name: String) -> Stage? {
        index(answeringTo: name).map { self[$0] }
    }

    /// Where `stage(answeringTo:)` is, for a caller that reads one property in place rather
    /// than copying the whole stage.
    public func index(answeringTo name: String) -> Index? {
        firstIndex { $0.name == name } ?? firstIndex { $0.renamedFrom.contains(name) }
    }
}

public struct Stage: Sendable, Equatable {
    public enum Action: String, Sendable, Codable { case email, escalate, writeOff = "write-off" }
    /// A copy recipient: the business owner, or a literal address.
    public enum Recipient: Sendable, Equatable {
        case owner
        case address(Mailbox)
    }

    public var name: String
    public var days: Int
    public var action: Action
    /// Template base name (`templates/NAME.txt`, optional `NAME.html`). Required for `email`.
    public var template: String?
    /// Mustache source of the subject. Required for `email`.
    public var subject: String?
    public var cc: [Recipient]
    public var bcc: [Recipient]
    /// The late fee charged when this stage's message is sent, at most one per currency;
    /// invoices in other currencies get none.
    public var fees: [Money]
    /// `renamed_from`: the names this stage had before; dispatches recorded under them count as
    /// this stage's (for the ladder position), so a rename does not send the stage again.
    public var renamedFrom: [String] = []

    public init(name: String, days: Int, action: Action, template: String?, subject: String?,
                cc: [Recipient] = [], bcc: [Recipient] = [], fees: [Money] = []) {
        self.name = name
        self.days = days
        self.action = action
        self.template = template
        self.subject = subject
        self.cc = cc
        self.bcc = bcc
        self.fees = fees
    }

    /// This stage's fee for an invoice in `currency`, nil when it charges none there.
    public func fee(in currency: Currency) -> Money? { fees.first { $0.currency == currency } }
}
