import Foundation

/// `statement.html` of an evidence packet: a statement of account a court or an agency can
/// print. No `@page` size is set, so the printer's paper (A4 or Letter) is used; the content is
/// at most 180 mm wide, which fits both with 15 mm margins. Every value is `htmlEscaped`.
public enum EvidenceStatement {
    /// One message the ledger shows as sent, from its audit entry.
    public struct Notice: Sendable {
        public var at: Date
        public var event: String
        public var stage: String?
        public var recipients: [String]
        public var messageID: String?
        public var reply: String?
        public var sha256: String?
        public var subject: String?
        /// The hand-off's decision notice: it went to the owner, not to the client.
        public var toOwner = false
    }

    /// The sent messages recorded in `audit` (each `reminder.sent` and the like that names a
    /// Message-ID), with the Subject their dispatch kept.
    public static func notices(from audit: [AuditEntry], dispatches: [Dispatch]) -> [Notice] {
        audit.compactMap { entry -> Notice? in
            guard entry.event == AuditEvent.reminderSent.rawValue || entry.event == AuditEvent.demandSent.rawValue,
                  let details = (try? JSONSerialization.jsonObject(with: Data(entry.detailsJSON.utf8))) as? [String: Any] else {
                return nil
            }
            return Notice(at: entry.asOf ?? entry.at, event: entry.event, stage: entry.stage,
                          recipients: details["recipients"] as? [String] ?? [], messageID: details["message_id"] as? String,
                          reply: details["reply"] as? String, sha256: details["sha256"] as? String,
                          subject: dispatches.first(where: { $0.stage == entry.stage })?.subject,
                          toOwner: dispatches.first(where: { $0.stage == entry.stage })?.action == .escalate)
        }
    }

    public static func html(business: Business, client: Client, invoice: Invoice, payments: [Payment],
                            fees: [ChargedFee], notices: [Notice], generatedAt: Date,
                            claim: InterestClaim? = nil, interestBasis: String? = nil) -> String {
        let e = htmlEscaped
        func money(_ value: Money) -> String { e(value.description) }
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Statement of account: invoice \(e(invoice.number))</title>
            <style>
            @page { margin: 15mm; }
            body { font: 10.5pt/1.4 Georgia, "Times New Roman", serif; color: #000; max-width: 180mm; margin: 0 auto; }
            h1 { font-size: 16pt; margin: 0 0 4mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 0.3mm solid #000; }
            table { width: 100%; border-collapse: collapse; table-layout: fixed; }
            th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 0.2mm solid #999; overflow-wrap: anywhere; }
            td.n, th.n { text-align: right; white-space: nowrap; }
            tr { page-break-inside: avoid; break-inside: avoid; }
            .mono { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
            .parties td { border: none; width: 50%; }
            </style></head><body>
            <h1>Statement of account: invoice \(e(invoice.number))</h1>
            <table class="parties"><tr>
            <td><strong>From (creditor)</strong><br>\(e(business.name))<br>\(e(business.from.description))
            """
        if let signature = business.signature { html += "<br>" + e(signature).replacingOccurrences(of: "\n", with: "<br>") }
        html += "</td>\n<td><strong>To (debtor)</strong><br>\(e(client.name)) (\(e(client.id)))"
        for address in client.emails { html += "<br>\(e(address))" }
        html += """
            </td></tr></table>
            <h2>Invoice</h2>
            <table>
            <tr><th>Number</th><th>Issued</th><th>Due</th><th>Status</th><th class="n">Amount</th></tr>
            <tr><td>\(e(invoice.number))</td><td>\(invoice.issueDate)</td><td>\(invoice.dueDate)</td>\
            <td>\(e(invoice.status.rawValue))</td><td class="n">\(money(invoice.amount))</td></tr>
            </table>
            <h2>Payments</h2>

            """
        if payments.isEmpty && invoice.paid.minorUnits == 0 {
            html += "<p>No payment received.</p>\n"
        } else {
            html += "<table><tr><th>Date</th><th class=\"n\">Amount</th></tr>\n"
            let recorded = payments.reduce(Int64(0)) { $0 + $1.amount.minorUnits }
            let imported = invoice.paid.minorUnits - recorded
            if imported > 0 {
                html += "<tr><td>paid before the ledger recorded payments (import)</td><td class=\"n\">\(money(Money(minorUnits: imported, currency: invoice.currency)))</td></tr>\n"
            }
            for payment in payments { html += "<tr><td>\(payment.paidOn)</td><td class=\"n\">\(money(payment.amount))</td></tr>\n" }
            html += "</table>\n"
        }
        html += "<h2>Fees</h2>\n"
        if fees.isEmpty {
            html += "<p>No fee charged.</p>\n"
        } else {
            html += "<table><tr><th>Charged</th><th>Stage</th><th>Waived</th><th class=\"n\">Amount</th></tr>\n"
            for fee in fees {
                let waived = fee.waivedAt.map { formatTimestamp($0) + (fee.waiveReason.map { ": " + $0 } ?? "") } ?? "no"
                html += "<tr><td>\(formatTimestamp(fee.chargedAt))</td><td>\(e(fee.stage))</td><td>\(e(waived))</td><td class=\"n\">\(money(fee.amount))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += """
            <h2>Balance</h2>
            <table>
            <tr><td>Invoice amount</td><td class="n">\(money(invoice.amount))</td></tr>
            <tr><td>Fees charged (not waived)</td><td class="n">\(money(invoice.fees))</td></tr>
            <tr><td>Paid</td><td class="n">\(money(invoice.paid))</td></tr>
            <tr><td><strong>Balance due</strong></td><td class="n"><strong>\(money(invoice.balance))</strong></td></tr>
            </table>

            """
        if let claim { html += interestSection(claim, basis: interestBasis ?? "", balance: invoice.balance) }
        html += "<h2>Notices sent</h2>\n"
        if notices.isEmpty {
            html += "<p>No notice recorded as sent.</p>\n"
        } else {
            html += """
                <table><tr><th style="width:22%">Sent (UTC)</th><th style="width:28%">Stage, recipients</th>\
                <th style="width:50%">Message-ID, server reply, SHA-256 of the message</th></tr>

                """
            for notice in notices {
                let label = (notice.stage ?? (notice.event == AuditEvent.demandSent.rawValue ? "letter before action" : notice.event))
                    + (notice.toOwner ? " (decision notice to the owner, not to the client)" : "")
                html += "<tr><td>\(formatTimestamp(notice.at))</td><td>\(e(label))"
                if let subject = notice.subject { html += "<br><em>\(e(subject))</em>" }
                for address in notice.recipients { html += "<br>\(e(address))" }
                html += "</td><td class=\"mono\">\(e(notice.messageID ?? "-"))<br>\(e(notice.reply ?? "-"))<br>\(e(notice.sha256 ?? "-"))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += """
            <p style="margin-top:6mm;font-size:9pt;">Generated \(formatTimestamp(generatedAt)) by overdue from its hash-chained \
            audit trail. Each message in messages/ is the exact text the mail server accepted; manifest.json lists the \
            SHA-256 of every file and is signed (Ed25519, manifest.sig). Check with: overdue evidence verify FILE.zip</p>
            </body></html>

            """
        return html
    }

    /// Interest and compensation as of the statement's day: every stretch of days with its
    /// principal and rate, then the totals, and the rule they were computed by.
    static func interestSection(_ claim: InterestClaim, basis: String, balance: Money) -> String {
        let e = htmlEscaped
        var html = "<h2>Interest and compensation (as of \(claim.asOf))</h2>\n"
        if claim.periods.isEmpty {
            html += "<p>No interest has run.</p>\n"
        } else {
            html += "<table><tr><th>From</th><th>Through</th><th class=\"n\">Days</th><th class=\"n\">Principal</th><th class=\"n\">Rate a year</th></tr>\n"
            for period in claim.periods {
                html += "<tr><td>\(period.from)</td><td>\(period.through)</td><td class=\"n\">\(period.days)</td>"
                    + "<td class=\"n\">\(e(period.principal.description))</td><td class=\"n\">\(period.rate)%</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += """
            <table>
            <tr><td>Interest (\(e(basis)); simple, each day principal × rate / 365, rounded once)</td><td class="n">\(e(claim.interest.description))</td></tr>
            <tr><td>Compensation for recovery costs</td><td class="n">\(e(claim.compensation.description))</td></tr>
            <tr><td><strong>Total claimed (balance + interest + compensation)</strong></td><td class="n"><strong>\(e(claim.total(adding: balance).description))</strong></td></tr>
            </table>

            """
        return html
    }
}
