import XCTest
@testable import OverdueCore

/// Reading what mail programs write, and surviving what they should not write.
final class InboundMailTests: XCTestCase {
    private func mail(_ text: String) -> InboundMail {
        InboundMail(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    func testHeadersAreUnfoldedAndEncodedWordsDecoded() {
        let parsed = mail("Subject: =?UTF-8?B?UmU6IFJlY2hudW5n?=\n =?iso-8859-1?Q?_f=FCr_M=E4rz?=\nFrom: \"Müller, Anna\" <Anna@Example.COM>\n\nx")
        XCTAssertEqual(parsed.subject, "Re: Rechnung für März")
        XCTAssertEqual(parsed.senderAddress, "anna@example.com")
    }

    func testThreadIDsAreInReplyToThenReferencesNearestFirst() {
        let parsed = mail("In-Reply-To: <c@x>\nReferences: <a@x> <b@x>\n <c@x>\n\nx")
        XCTAssertEqual(parsed.threadIDs, ["<c@x>", "<c@x>", "<b@x>", "<a@x>"])
    }

    func testDatesInTheCommonShapesAreRead() {
        let expected = Date(timeIntervalSince1970: 1_772_446_443)   // 2026-03-02T10:14:03Z
        for text in ["Mon, 2 Mar 2026 11:14:03 +0100", "2 Mar 2026 10:14:03 +0000", "Mon,  2 Mar 2026 05:14:03 -0500 (EST)"] {
            XCTAssertEqual(InboundMail.parseDate(text), expected, text)
        }
        XCTAssertNil(InboundMail.parseDate("not a date"))
    }

    func testTheExcerptIsWhatTheSenderWroteAboveTheQuote() {
        let parsed = mail("""
            Content-Type: multipart/alternative; boundary=x

            --x
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Paid on Friday, see the =
            remittance.

            Anna
            On Sun, 1 Mar 2026 at 12:00, Jane wrote:
            > Dear Acme
            --x
            Content-Type: text/html

            <p>Paid</p>
            --x--
            """)
        XCTAssertEqual(parsed.excerpt(), ["Paid on Friday, see the remittance.", "Anna"])
    }

    func testBase64BodiesAndHTMLOnlyMailGiveAnExcerpt() {
        XCTAssertEqual(mail("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nV2UgcGFpZC4=\n").excerpt(), ["We paid."])
        XCTAssertEqual(mail("Content-Type: text/html\n\n<div>We <b>paid</b>.</div>").excerpt(), ["We", "paid", "."])
    }

    func testBrokenMIMEIsReadAsWellAsPossibleAndNeverTraps() {
        let shapes = [
            "Content-Type: multipart/mixed; boundary=\n\n--\nbody",
            "Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: text/plain\n\nno closing boundary",
            "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%%% not base64 =?=",
            "Subject: =?utf-8?B?!!!?= =?x?Q?=FF?= =?\n\n",
            "no header at all",
            "",
            String(repeating: "Content-Type: multipart/mixed; boundary=a\n\n--a\n", count: 50),
        ]
        for shape in shapes {
            let parsed = mail(shape)
            _ = parsed.excerpt()
            _ = parsed.subject
            XCTAssertLessThanOrEqual(parsed.parts.count, InboundMail.maxParts)
        }
        XCTAssertEqual(mail("Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: text/plain\n\nno closing boundary").excerpt(),
                       ["no closing boundary"])
    }

    func testDeliveryStatusFieldsArePerRecipient() {
        let status = DeliveryStatus("""
            Reporting-MTA: dns; mx
            Original-Envelope-Id: abc

            Final-Recipient: rfc822; B@Example.com
            Action: failed
            Status: 5.1.1 (user unknown)
            Diagnostic-Code: smtp; 550
              folded

            Final-Recipient: rfc822;c@example.com
            Original-Recipient: rfc822;d@example.com
            Action: delayed
            Status: 4.4.7
            """)
        XCTAssertEqual(status.envelopeID, "abc")
        XCTAssertEqual(status.recipients, [
            DeliveryStatus.Recipient(address: "b@example.com", action: "failed", status: "5.1.1", diagnostic: "smtp; 550 folded"),
            DeliveryStatus.Recipient(address: "d@example.com", action: "delayed", status: "4.4.7", diagnostic: nil),
        ])
        XCTAssertTrue(status.recipients[0].isPermanentFailure)
        XCTAssertTrue(status.recipients[1].isDelay)
    }
}
