import Foundation
import Mustache
import XCTest
@testable import OverdueCore

/// The compiled (placeholder) rendering of reminder templates gives byte for byte what
/// swift-mustache gives, and templates it cannot stand in for are left to swift-mustache.
final class MailPlaceholderTemplateTests: XCTestCase {
    static let templates = [
        "Dear {{client.name}},\ninvoice {{invoice.number}} of {{invoice.issue_date}}: {{invoice.amount_due}} {{invoice.currency}}.\n",
        "{{#business.payment_url}}\nPay here: {{business.payment_url}}\n{{/business.payment_url}}\n{{^business.payment_url}}No link.{{/business.payment_url}}\n",
        "{{#stage.fee}}A fee of {{stage.fee}} applies.{{/stage.fee}}{{^stage.fee}}No fee.{{/stage.fee}}",
        "{{#invoice}}{{number}} due {{due_date}}, paid {{paid}} of {{amount}}{{/invoice}} ({{stage.name}}, {{days_overdue}} days)",
        "{{#client}}\n  {{name}} <{{id}}>\n{{/client}}\n{{! a comment }}\n{{{client.name}}} {{&client.name}} {{ client.name }}",
        "{{=<% %>=}}\n<% client.name %> <%& invoice.number %>\n<%={{ }}=%>{{business.name}}",
        "{{#invoice.paid}}paid: yes{{/invoice.paid}}{{^invoice.paid}}never shown{{/invoice.paid}}\n",
        "",
        "No variables at all.\r\nSecond line.",
    ]

    static let names = ["Acme Ltd", "Müller & Söhne <GmbH>", "Tom \"T\" O'Brien", "&\u{301} cafe\u{301}", "", "a\nb", "x\u{E000}&3\u{E001}y"]

    func leaves(name: String, paymentURL: String?, fee: String?) -> [String?] {
        ["Jane <Doe> & Co", paymentURL, "acme&1", name, "INV/7 & <8>", "2026-01-01", "2026-01-31", "1200.00", "0.00",
         "1040.00", "EUR", "30", "reminder-30", fee]
    }

    func mustache(_ source: String, asText: Bool) throws -> MustacheTemplate {
        try MustacheTemplate(string: asText ? "{{% CONTENT_TYPE: TEXT }}\n" + source : source)
    }

    func testCompiledTemplatesRenderExactlyWhatSwiftMustacheRenders() throws {
        var compiledCount = 0
        for source in Self.templates {
            for asText in [true, false] {
                let template = try mustache(source, asText: asText)
                for presence in 0..<4 {
                    let compiled = try XCTUnwrap(PlaceholderTemplate.compile(template, source: source,
                                                                             present: ReminderLeaf.presentOptionals(presence)),
                                                 "not compiled: \(source)")
                    compiledCount += 1
                    for name in Self.names {
                        let values = leaves(name: name, paymentURL: presence & 1 != 0 ? "https://pay.example/INV%2F7?a=1&b='2'" : nil,
                                            fee: presence & 2 != 0 ? "40.00" : nil)
                        XCTAssertEqual(ReminderLeaf.presence(values), presence)
                        let expected = template.render(ReminderLeaf.nested(values))
                        XCTAssertEqual(Array(compiled.render(values).utf8), Array(expected.utf8),
                                       "\(asText ? "text" : "html") template \(source.debugDescription) with \(name.debugDescription)")
                    }
                }
            }
        }
        XCTAssertEqual(compiledCount, Self.templates.count * 2 * 4)
    }

    func testTemplatesWhoseOutputDependsOnValuesBeyondSubstitutionAreLeftToSwiftMustache() throws {
        for source in ["{{uppercased(client.name)}}", "{{#invoice.paid}}{{.}}{{/invoice.paid}}", "{{invoice}}",
                       "{{#empty(invoice.paid)}}none{{/empty(invoice.paid)}}", "literal \u{E000} marker {{client.name}}"] {
            XCTAssertNil(PlaceholderTemplate.compile(try mustache(source, asText: true), source: source, present: []), source)
        }
    }

    func testStagesWithATransformStillRenderThroughSwiftMustache() throws {
        let fixture = try MailFixture(text: "Dear {{uppercased(client.name)}},\n{{invoice.number}}\n")
        let templates = try MessageTemplates.load(fixture.config)
        let values = ReminderLeaf.values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                         amountDue: fixture.context.invoice.balance, daysOverdue: 30)
        XCTAssertEqual(try XCTUnwrap(templates.render(stage: "reminder-30", leaves: values)).text, "Dear ACME LTD,\nINV-7\n")
    }

    func testLoadedStagesUseTheCompiledFormAndAgreeWithTheGeneralRender() throws {
        let fixture = try MailFixture(text: Self.templates[1] + Self.templates[2], html: "<p>{{client.name}}</p>\n{{#stage.fee}}{{stage.fee}}{{/stage.fee}}",
                                      clientName: "Tom & \"Jerry\" <x>")
        let templates = try MessageTemplates.load(fixture.config)
        let leaves = ReminderLeaf.values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                         amountDue: fixture.context.invoice.balance, daysOverdue: 30)
        let fast = try XCTUnwrap(templates.render(stage: "reminder-30", leaves: leaves))
        let general = try XCTUnwrap(templates.render(stage: "reminder-30", values: reminderValues(
            config: fixture.config, context: fixture.context, stage: fixture.stage, amountDue: fixture.context.invoice.balance,
            daysOverdue: 30)))
        XCTAssertEqual(Array(fast.subject.utf8), Array(general.subject.utf8))
        XCTAssertEqual(Array(fast.text.utf8), Array(general.text.utf8))
        XCTAssertEqual(fast.html.map { Array($0.utf8) }, general.html.map { Array($0.utf8) })
        XCTAssertEqual(fast.html, "<p>Tom &amp; &quot;Jerry&quot; &lt;x&gt;</p>\n40.00")
    }
}
