import OverdueCore

/// The HTML part of the decision notice: one narrow column that reads on a phone, the client's
/// contact first (the owner is about to call or hand it on), then what is owed, the evidence,
/// and the options with their commands.
///
/// Every value from the ledger or the config goes through `htmlEscaped`; styles are inline,
/// since mail clients drop `<style>` blocks. Amounts, dates and IDs never break inside.
enum DecisionHTML {
    static func render(_ facts: DecisionFacts, title: String) -> String {
        let invoice = facts.invoice, client = facts.client
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(htmlEscaped(title))</title>
            </head>
            <body style="margin:0;padding:0;background:#f3f4f6;">
            <div style="max-width:600px;margin:0 auto;padding:16px;background:#ffffff;color:#111827;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;">
            <h1 style="font-size:20px;line-height:1.3;margin:0 0 12px;">Decision needed: invoice \(unbroken(invoice.number))</h1>

            """
        html += section("Client")
        html += "<p style=\"margin:0 0 12px;\"><strong>\(htmlEscaped(client.name))</strong><br>\n"
        html += "client id \(unbroken(client.id))"
        for address in client.emails {
            html += "<br>\n<a href=\"mailto:\(htmlEscaped(address))\" style=\"overflow-wrap:anywhere;\">\(htmlEscaped(address))</a>"
        }
        html += "</p>\n"
        html += "<p style=\"margin:0 0 12px;\">\(facts.summary.html)</p>\n"

        html += section("What is owed")
        html += "<table role=\"presentation\" style=\"width:100%;border-collapse:collapse;margin:0 0 12px;\">\n"
        html += row("Invoice \(unbroken(invoice.number)) of \(unbroken(invoice.issueDate.description)), due \(unbroken(invoice.dueDate.description))",
                    unbroken("\(invoice.amount)"))
        html += row("Fees", unbroken("+ \(facts.fees)"))
        html += row("Paid so far", unbroken("− \(invoice.paid)"))
        html += row("<strong>Amount due</strong>", "<strong>\(unbroken("\(facts.amountDue)"))</strong>", rule: true)
        html += row("Days overdue", unbroken(String(facts.daysOverdue)))
        html += "</table>\n"

        html += section("Reminder history")
        if facts.history.isEmpty {
            html += "<p style=\"margin:0 0 12px;\">None: no reminder was sent for this invoice.</p>\n"
        }
        for dispatch in facts.history {
            html += "<div style=\"border-left:3px solid #d1d5db;padding:0 0 0 10px;margin:0 0 12px;\">\n"
            html += "<strong>\(unbroken(dispatch.localDate.description))</strong> · \(unbroken(dispatch.stage)) · \(htmlEscaped(dispatch.state.inWords))"
            if !dispatch.recipients.isEmpty {
                html += "<br>\nTo: " + dispatch.recipients.map(breakable).joined(separator: ", ")
            }
            if let id = dispatch.messageID {
                html += "<br>\nMessage-ID: <code style=\"overflow-wrap:anywhere;font-size:14px;\">\(htmlEscaped(id))</code>"
            }
            if let reply = dispatch.lastReply { html += "<br>\nServer: \(breakable(reply))" }
            html += "\n</div>\n"
        }

        html += section("Your options")
        html += "<ol style=\"margin:0 0 12px;padding-left:24px;\">\n"
        for option in facts.options {
            html += "<li style=\"margin:0 0 8px;\">\(option.text.html)"
            if let command = option.command { html += commandBlock(command) }
            html += "</li>\n"
        }
        html += "</ol>\n"
        html += "<p style=\"margin:0 0 4px;\">If the client pays meanwhile, record it with:</p>\n"
        html += commandBlock(facts.payCommand)
        html += "</div>\n</body>\n</html>\n"
        return html
    }

    private static func section(_ title: String) -> String {
        "<h2 style=\"font-size:16px;margin:16px 0 6px;color:#374151;\">\(htmlEscaped(title))</h2>\n"
    }

    /// A label and an amount, the amount right-aligned; both already HTML.
    private static func row(_ label: String, _ value: String, rule: Bool = false) -> String {
        let border = rule ? "border-top:1px solid #9ca3af;" : ""
        return "<tr><td style=\"padding:4px 8px 4px 0;vertical-align:top;\(border)\">\(label)</td>"
            + "<td style=\"padding:4px 0;text-align:right;vertical-align:top;\(border)\">\(value)</td></tr>\n"
    }

    private static func unbroken(_ text: String) -> String { Prose.unbroken(text) }

    /// Escaped text broken only where the screen forces it (an address, a Message-ID).
    private static func breakable(_ text: String) -> String {
        "<span style=\"overflow-wrap:anywhere;\">\(htmlEscaped(text))</span>"
    }

    /// A command to copy: monospace, wrapping only where the screen forces it.
    private static func commandBlock(_ command: String) -> String {
        "<pre style=\"margin:4px 0 0;padding:8px;background:#f3f4f6;border-radius:4px;font-size:14px;"
            + "white-space:pre-wrap;overflow-wrap:anywhere;\">\(htmlEscaped(command))</pre>\n"
    }
}
