import Foundation
import XCTest
@testable import OverdueCore

/// `{{> NAME}}` in a stage's templates: text written once in `NAME.partial.txt` / `.html`, checked
/// at load like the template itself.
final class MailTemplatePartialTests: XCTestCase {
    func write(_ text: String, _ name: String, in fixture: MailFixture) throws {
        try text.write(toFile: fixture.folder + "/templates/" + name, atomically: true, encoding: .utf8)
    }

    func render(_ fixture: MailFixture) throws -> (subject: String, text: String, html: String?) {
        let templates = try MessageTemplates.load(fixture.config)
        let values = templates.values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                      amountDue: fixture.context.invoice.balance, daysOverdue: 30)
        return try XCTUnwrap(templates.render(stage: "reminder-30", values: values))
    }

    func loadError(_ fixture: MailFixture) -> OverdueError? {
        do {
            _ = try MessageTemplates.load(fixture.config)
            return nil
        } catch {
            return error
        }
    }

    func testAPartialIsRenderedInPlaceWithTheTemplatesValuesAndEscaping() throws {
        let fixture = try MailFixture(text: "{{> sign}}Invoice {{invoice.number}}\n",
                                      html: "{{> head}}\n<p>{{invoice.number}}</p>\n", clientName: "Tom & Jerry")
        try write("{{! the page head }}\n<html><title>{{client.name}}</title>\n", "head.partial.html", in: fixture)
        try write("Dear {{client.name}} & co,\n", "sign.partial.txt", in: fixture)
        let rendered = try render(fixture)
        XCTAssertEqual(rendered.html, "<html><title>Tom &amp; Jerry</title>\n<p>INV-7</p>\n", "a standalone partial line adds no line")
        XCTAssertEqual(rendered.text, "Dear Tom & Jerry & co,\nInvoice INV-7\n", "a text partial is not HTML-escaped")
    }

    func testAMissingPartialIsAConfigErrorNamingTheTemplatesLine() throws {
        let fixture = try MailFixture(html: "<p>x</p>\n{{> footer}}\n")
        let error = try XCTUnwrap(loadError(fixture))
        XCTAssertEqual(error.exitCode, .config)
        XCTAssertEqual(error.message, fixture.folder + "/templates/reminder.html:2: partial \"footer\": template file "
            + fixture.folder + "/templates/footer.partial.html does not exist")
    }

    func testAPartialsOwnVariablesAreChecked() throws {
        let fixture = try MailFixture(html: "{{> head}}\n")
        try write("<title>\n{{invoice.numbr}}</title>\n", "head.partial.html", in: fixture)
        XCTAssertTrue(loadError(fixture)?.message.hasPrefix(fixture.folder + "/templates/head.partial.html:2: unknown template variable \"invoice.numbr\"") == true)
    }

    func testAPartialNamesAFileBesideTheTemplatesNeverAPath() throws {
        let fixture = try MailFixture(text: "{{> ../secret}}\n")
        XCTAssertTrue(loadError(fixture)?.message.contains("a partial's name is lowercase letters, digits and \"-\"") == true)
    }

    func testPartialsDoNotNestAndSubjectsAndBlocksTakeNone() throws {
        let nested = try MailFixture(html: "{{> head}}\n")
        try write("{{> inner}}\n", "head.partial.html", in: nested)
        XCTAssertTrue(loadError(nested)?.message.contains("partials ({{>…}}) are not supported here") == true)
        let subject = try MailFixture(subject: "{{> head}} invoice")
        XCTAssertTrue(loadError(subject)?.message.contains("partials ({{>…}}) are not supported here") == true)
        let block = try MailFixture(text: "{{<page}}{{$title}}x{{/title}}{{/page}}\n")
        XCTAssertTrue(loadError(block)?.message.contains("blocks and parents") == true)
    }
}
