import Foundation
import XCTest
@testable import OverdueCore

final class MailTemplateTests: XCTestCase {
    func testPlainTextIsNeverHTMLEscaped() throws {
        let fixture = try MailFixture(text: "Dear {{client.name}}, pay at {{business.payment_url}}\n", clientName: "Müller & Söhne <GmbH>",
                                      number: "INV/7 & 8")
        let values = try MessageTemplates.load(fixture.config).values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                                                                 amountDue: fixture.context.invoice.balance, daysOverdue: 30)
        let rendered = try XCTUnwrap(try MessageTemplates.load(fixture.config).render(stage: "reminder-30", values: values))
        XCTAssertEqual(rendered.text, "Dear Müller & Söhne <GmbH>, pay at https://pay.example/INV%2F7%20%26%208\n")
    }

    func testHTMLTemplateEscapesEveryValue() throws {
        let fixture = try MailFixture(html: "<p>Dear {{client.name}}</p>", clientName: "Tom & \"Jerry\" <x>")
        let values = try MessageTemplates.load(fixture.config).values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                                                                 amountDue: fixture.context.invoice.balance, daysOverdue: 30)
        let rendered = try XCTUnwrap(try MessageTemplates.load(fixture.config).render(stage: "reminder-30", values: values))
        XCTAssertEqual(rendered.html, "<p>Dear Tom &amp; &quot;Jerry&quot; &lt;x&gt;</p>")
    }

    func testAmountsDatesAndFeeUseThePlainFormats() throws {
        let fixture = try MailFixture(text: "{{invoice.amount}}|{{invoice.paid}}|{{invoice.amount_due}}|{{invoice.due_date}}|{{stage.fee}}|{{days_overdue}}")
        let values = try MessageTemplates.load(fixture.config).values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                                                                 amountDue: Money(minorUnits: 104_000, currency: Currency(code: "EUR")!), daysOverdue: 30)
        let rendered = try XCTUnwrap(try MessageTemplates.load(fixture.config).render(stage: "reminder-30", values: values))
        XCTAssertEqual(rendered.text, "1200.00|200.00|1040.00|2026-01-31|40.00|30")
    }

    func testUnknownVariableIsAConfigErrorNamingFileAndLine() throws {
        let fixture = try MailFixture(text: "Dear {{client.name}},\n\nyour {{invoice.numbr}} is late\n")
        XCTAssertThrowsError(try MessageTemplates.load(fixture.config)) { error in
            let error = error as! OverdueError
            XCTAssertEqual(error.exitCode, .config)
            XCTAssertTrue(error.message.hasPrefix(fixture.folder + "/templates/reminder.txt:3: unknown template variable \"invoice.numbr\""), error.message)
        }
    }

    func testSectionRelativeNamesAreKnownButUnknownOnesInsideSectionsAreNot() throws {
        XCTAssertNil(TemplateVariables.firstProblem(in: "{{#invoice}}{{number}} {{client.name}}{{/invoice}}{{#stage.fee}}fee {{.}}{{/stage.fee}}"))
        XCTAssertNil(TemplateVariables.firstProblem(in: "{{#reminders}}{{stage}} {{date_text}} {{subject}} {{invoice.number}}{{/reminders}}"))
        XCTAssertEqual(TemplateVariables.firstProblem(in: "{{#reminders}}{{stage.name}}{{/reminders}}"), .unknownVariable("stage.name", line: 1),
                       "inside reminders, stage is the reminder's stage (a string), as Mustache resolves it")
        XCTAssertEqual(TemplateVariables.firstProblem(in: "{{#invoice}}\n{{nmber}}{{/invoice}}"), .unknownVariable("nmber", line: 2))
        XCTAssertEqual(TemplateVariables.firstProblem(in: "{{=<% %>=}}\n<% client.nme %>"), .unknownVariable("client.nme", line: 2))
        XCTAssertEqual(TemplateVariables.firstProblem(in: "{{{clients.name}}}"), .unknownVariable("clients.name", line: 1))
    }

    func testUnknownVariableInTheSubjectNamesTheConfigLine() throws {
        let fixture = try MailFixture(subject: "Invoice {{invoice.nummer}}")
        XCTAssertThrowsError(try MessageTemplates.load(fixture.config)) { error in
            XCTAssertTrue((error as! OverdueError).message.hasPrefix(fixture.config.path + ":5: stage[1].subject: unknown template variable"),
                          (error as! OverdueError).message)
        }
    }

    func testMissingTextTemplateIsAConfigError() throws {
        let fixture = try MailFixture()
        try FileManager.default.removeItem(atPath: fixture.folder + "/templates/reminder.txt")
        XCTAssertThrowsError(try MessageTemplates.load(fixture.config)) { error in
            XCTAssertEqual((error as! OverdueError).exitCode, .config)
            XCTAssertTrue((error as! OverdueError).message.contains("reminder.txt does not exist"))
        }
    }

    func testReminderGoesToEveryClientAddressWithOwnerInCc() throws {
        let message = try MailFixture(emails: ["ap@acme.example", "boss@acme.example"]).message()
        XCTAssertEqual(message.recipients, ["ap@acme.example", "boss@acme.example", "jane@janedoe.example"])
        XCTAssertEqual(message.headers.first { $0.0 == "Cc" }?.1, "jane@janedoe.example")
        XCTAssertEqual(message.headers.first { $0.0 == "Subject" }?.1, "Invoice INV-7 is 30 days overdue")
    }

    func testLedgerValuesWithControlCharactersNeverBecomeHeaders() throws {
        for bad in ["\r", "\n", "\r\n", "\0", "\u{85}", "\u{2028}"] {
            for fixture in [try MailFixture(clientName: "Acme\(bad)Bcc: evil@x.example"),
                            try MailFixture(emails: ["ap@acme.example\(bad)RCPT TO:<evil@x.example>"]),
                            try MailFixture(number: "INV-7\(bad)Bcc: evil@x.example")] {
                XCTAssertThrowsError(try fixture.message()) { error in
                    XCTAssertEqual((error as? OverdueError)?.exitCode, .dataError)
                }
            }
        }
    }
}
