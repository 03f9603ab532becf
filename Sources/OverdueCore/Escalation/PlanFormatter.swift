import Foundation

/// Renders plan lines for `overdue plan`: one JSON object per line (the contract), or an
/// aligned table for people.
public enum PlanFormatter {
    /// The lines `plan` prints, in contract order: by invoice number in byte order (UTF-8, not
    /// Unicode collation, so the order matches `sort` in the C locale and an independent
    /// implementation). Without `all`, only lines with something to do.
    public static func select(_ lines: [PlanLine], all: Bool) -> [PlanLine] {
        let kept = all ? lines : lines.filter { $0.action != .none }
        return kept.sorted { $0.invoice.utf8.lexicographicallyPrecedes($1.invoice.utf8) }
    }

    /// Whether `plan` prints this line (without `--all`, only lines with something to do); for
    /// callers that stream lines already in invoice order.
    public static func isListed(_ line: PlanLine, all: Bool) -> Bool { all || line.action != .none }

    /// Appends the contract's object for one line: keys `invoice, client, stage, action,
    /// days_overdue, amount_due, currency, to`, then `reason` only when the action is `none`.
    /// Written straight into bytes, with no JSON tree per line: `plan --all` prints a line for
    /// every invoice in the ledger.
    ///
    /// With `[interest]` configured, `claim` (as of the plan's date) adds `interest` last:
    /// `{"interest":"12.34","compensation":"40.00","claim_total":"1292.34"}`, where
    /// `claim_total` is `amount_due + interest + compensation`.
    public static func writeJSON(_ line: PlanLine, claim: InterestClaim? = nil, to out: inout [UInt8]) {
        func raw(_ text: StaticString) { text.withUTF8Buffer { out.append(contentsOf: $0) } }
        raw("{\"invoice\":"); JSONValue.writeString(line.invoice, to: &out)
        raw(",\"client\":"); JSONValue.writeString(line.client, to: &out)
        raw(",\"stage\":")
        if let stage = line.stage { JSONValue.writeString(stage, to: &out) } else { raw("null") }
        raw(",\"action\":\""); out.append(contentsOf: line.action.rawValue.utf8); raw("\",\"days_overdue\":")
        ByteText.append(Int64(line.daysOverdue), to: &out)
        raw(",\"amount_due\":\""); ByteText.append(line.amountDue, to: &out)
        // An ISO 4217 code (`Currency` admits no other) has nothing to escape.
        raw("\",\"currency\":\""); out.append(contentsOf: line.amountDue.currency.code.utf8)
        raw("\",\"to\":[")
        line.recipients.forEach { position, utf8 in
            if position > 0 { raw(",") }
            JSONValue.writeString(contiguous: utf8, to: &out)
        }
        raw("]")
        if line.action == .none {
            raw(",\"reason\":")
            if let reason = line.reason { raw("\""); out.append(contentsOf: reason.rawValue.utf8); raw("\"") } else { raw("null") }
        }
        if let claim {
            raw(",\"interest\":{\"interest\":\""); ByteText.append(claim.interest, to: &out)
            raw("\",\"compensation\":\""); ByteText.append(claim.compensation, to: &out)
            raw("\",\"claim_total\":\""); ByteText.append(claim.total(adding: line.amountDue), to: &out)
            raw("\"}")
        }
        raw("}")
    }

    /// One line of `plan --format json`, without the trailing newline.
    public static func jsonLine(_ line: PlanLine) -> String {
        var out: [UInt8] = []
        writeJSON(line, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static let tableHeader = ["INVOICE", "CLIENT", "STAGE", "ACTION", "DAYS", "AMOUNT_DUE", "TO/REASON"]

    /// `plan --format table`: a header and one row per line, columns separated by two spaces and
    /// padded to the widest cell; every line ends with a newline. Text from the ledger has its
    /// control characters shown escaped, so one plan line is always one terminal line.
    public static func table(_ lines: [PlanLine]) -> String {
        TextTable.lines(header: tableHeader, rows: lines.map(tableRow)).map { $0 + "\n" }.joined()
    }

    static func tableRow(_ line: PlanLine) -> [String] {
        let target: String
        if line.action == .none {
            target = line.reason?.rawValue ?? "-"
        } else {
            target = line.to.isEmpty ? "-" : line.to.joined(separator: ",")
        }
        return [
            line.invoice.escapingControls(),
            line.client.escapingControls(),
            line.stage ?? "-",
            line.action.rawValue,
            String(line.daysOverdue),
            line.amountDue.description,
            target.escapingControls(),
        ]
    }
}

/// Reminders held back by a closed send window, and when it next opens: what `plan` says on
/// stderr and `tick` in its summary, so a closed window never reads as "nothing to do".
public struct WindowWait: Sendable, Equatable {
    /// Reminders (plan lines and queued dispatches) that wait for the window.
    public var count: Int
    /// The next instant the window is open; nil when it never opens.
    public var opensAt: Date?
    public var timeZone: TimeZone

    public init(count: Int, opensAt: Date?, timeZone: TimeZone) {
        self.count = count
        self.opensAt = opensAt
        self.timeZone = timeZone
    }

    /// For `count` reminders held at `instant`, with the window's next opening after it.
    public init(count: Int, window: SendWindow?, after instant: Date, in zone: TimeZone) {
        self.init(count: count, opensAt: window?.nextOpening(after: instant, in: zone), timeZone: zone)
    }

    /// The opening in local time, e.g. `Mon 2026-12-07 09:00 Europe/Berlin`.
    public var opening: String {
        guard let opensAt else { return "never" }
        let local = LocalDateTime(opensAt, in: timeZone)
        let day = local.date.weekday.rawValue
        return "\(day.prefix(1).uppercased())\(day.dropFirst()) \(local.date) \(local.time) \(timeZone.identifier)"
    }

    /// `3 reminders wait for the send window, which opens Mon 2026-12-07 09:00 Europe/Berlin`.
    public var sentence: String {
        let subject = count == 1 ? "1 reminder waits" : "\(count) reminders wait"
        guard opensAt != nil else { return "\(subject) for the send window, which never opens" }
        return "\(subject) for the send window, which opens \(opening)"
    }
}
