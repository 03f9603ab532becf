import Foundation
import XCTest
@testable import OverdueCore

final class MailMessageBuilderTests: XCTestCase {
    private func content(subject: String = "Hello", name: String? = "Acme Ltd", html: String? = nil) throws -> MailContent {
        MailContent(from: try Mailbox(parsing: "Jane <billing@janedoe.example>"),
                    to: [try Mailbox(displayName: name, address: "ap@acme.example")],
                    cc: [try Mailbox(address: "jane@janedoe.example")], bcc: [try Mailbox(address: "archive@janedoe.example")],
                    subject: subject, date: Date(timeIntervalSince1970: 1_772_355_603), timeZone: TimeZone(identifier: "Europe/Berlin")!,
                    messageID: "<abc@janedoe.example>", text: "Line one\n.starts with a dot\nFrom here on\ntrailing space \n", html: html)
    }

    func testEveryByteIsSevenBitAndEveryLineEndsInCRLF() throws {
        let message = try MessageBuilder.build(content(subject: "Grüße — 张伟贸易有限公司 " + String(repeating: "Überfällig ", count: 12),
                                                       name: "Müller & Söhne"))
        XCTAssertTrue(message.data.allSatisfy { $0 < 128 })
        for (index, byte) in message.data.enumerated() where byte == 10 {
            XCTAssertEqual(message.data[index - 1], 13, "bare LF at \(index)")
        }
        for (index, byte) in message.data.enumerated() where byte == 13 {
            XCTAssertEqual(message.data[index + 1], 10, "bare CR at \(index)")
        }
        let head = message.text.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 78, line)
        }
    }

    func testBccReachesTheEnvelopeButNoHeader() throws {
        let message = try MessageBuilder.build(content())
        XCTAssertEqual(message.recipients, ["ap@acme.example", "jane@janedoe.example", "archive@janedoe.example"])
        XCTAssertFalse(message.text.lowercased().contains("archive@"))
        XCTAssertFalse(message.headers.contains { $0.0.lowercased() == "bcc" })
    }

    func testDateHeaderIsRFC5322InTheGivenZone() throws {
        let message = try MessageBuilder.build(content())
        XCTAssertEqual(message.headers.first { $0.0 == "Date" }?.1, "Sun, 01 Mar 2026 10:00:03 +0100")
    }

    func testControlCharactersInHeaderValuesAreRefused() throws {
        for bad in ["\r", "\n", "\r\n", "\0", "\u{85}", "\u{2028}", "\u{2029}", "\u{7F}"] {
            XCTAssertThrowsError(try MessageBuilder.build(content(subject: "Invoice 7\(bad)Bcc: evil@x.example"))) { error in
                XCTAssertEqual((error as? MessageError)?.field, "Subject")
            }
            XCTAssertThrowsError(try Mailbox(displayName: "Acme\(bad)Bcc: evil@x.example", address: "ap@acme.example"))
            XCTAssertThrowsError(try Mailbox(address: "ap@acme.example\(bad)"))
        }
    }

    func testDisplayNamesWithSpecialsAreQuotedAndPlainOnesLeftAlone() throws {
        XCTAssertEqual(HeaderEncoding.phrase("Acme, Inc."), "\"Acme, Inc.\"")
        XCTAssertEqual(HeaderEncoding.phrase("Jane \"JD\" Doe"), "\"Jane \\\"JD\\\" Doe\"")
        XCTAssertEqual(HeaderEncoding.phrase("Sean O'Brien"), "Sean O'Brien")
        XCTAssertTrue(HeaderEncoding.phrase("Müller & Söhne").hasPrefix("=?UTF-8?B?"))
    }

    func testEncodedWordsAreShortAndNeverSplitACharacter() throws {
        let text = String(repeating: "👩‍👩‍👧‍👦张伟ü", count: 20)
        let words = HeaderEncoding.encodedWords(text)
        var decoded = ""
        for word in words {
            XCTAssertLessThanOrEqual(word.count, 68)
            let payload = String(word.dropFirst("=?UTF-8?B?".count).dropLast(2))
            let bytes = try XCTUnwrap(Data(base64Encoded: payload))
            decoded += try XCTUnwrap(String(data: bytes, encoding: .utf8), "a word is not valid UTF-8 on its own")
        }
        XCTAssertEqual(decoded, text)
    }

    func testPlainASCIISubjectIsNotEncodedButLookalikeEncodedWordIs() {
        XCTAssertEqual(HeaderEncoding.unstructured("Invoice INV-7 is 30 days overdue"), "Invoice INV-7 is 30 days overdue")
        XCTAssertTrue(HeaderEncoding.unstructured("=?UTF-8?B?SGk=?=").hasPrefix("=?UTF-8?B?"))
    }

    func testQuotedPrintableKeepsLinesShortAndProtectsTrailingSpaceAndFrom() {
        let encoded = String(decoding: QuotedPrintable.encode(String(repeating: "ä", count: 100) + "\nFrom me \n.dot"), as: UTF8.self)
        let lines = encoded.components(separatedBy: "\r\n")
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 76 })
        XCTAssertTrue(lines.contains("=46rom me=20"))
        XCTAssertEqual(lines.last, ".dot")
        XCTAssertFalse(encoded.contains("\n") && encoded.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    func testHTMLBodyMakesAMultipartAlternativeWithTextFirst() throws {
        let message = try MessageBuilder.build(content(html: "<p>Hi</p>"))
        let type = try XCTUnwrap(message.headers.first { $0.0 == "Content-Type" }?.1)
        XCTAssertTrue(type.hasPrefix("multipart/alternative; boundary="))
        let text = message.text
        XCTAssertLessThan(try XCTUnwrap(text.range(of: "text/plain")).lowerBound, try XCTUnwrap(text.range(of: "text/html")).lowerBound)
        XCTAssertTrue(text.hasSuffix("--\r\n"))
    }
}
