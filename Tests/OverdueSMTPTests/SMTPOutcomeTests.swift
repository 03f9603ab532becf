import CCurl
import OverdueCore
@testable import OverdueSMTP
import XCTest

final class SMTPOutcomeTests: XCTestCase {
    func testDeliveredKeepsTheServersFinalReply() {
        let result = SMTPOutcome.classify(curlCode: CURLE_OK, responseCode: 250,
                                          replies: ["220 hi", "250 ok", "250 2.0.0 Ok: queued as X"], curlMessage: "")
        XCTAssertEqual(result, .delivered(reply: "250 2.0.0 Ok: queued as X"))
    }

    func testTheLastFailingReplyDecidesEvenAfterQuit() {
        let result = SMTPOutcome.classify(curlCode: CURLE_SEND_ERROR, responseCode: 221,
                                          replies: ["250 ok", "450 4.2.0 busy", "221 Bye"], curlMessage: "RCPT failed: 450")
        XCTAssertEqual(result, .temporary(code: 450, reply: "450 4.2.0 busy (RCPT failed: 450)"))
    }

    func testFiveHundredsArePermanentAndAuthCodesAreAuthentication() {
        XCTAssertEqual(SMTPOutcome.classify(curlCode: CURLE_SEND_ERROR, responseCode: 0, replies: ["550 5.1.1 no"], curlMessage: "x"),
                       .permanent(code: 550, reply: "550 5.1.1 no (x)"))
        for code in [530, 534, 535, 538] {
            guard case .authenticationRefused(code, _) = SMTPOutcome.classify(
                curlCode: CURLE_LOGIN_DENIED, responseCode: 0, replies: ["\(code) 5.7.8 no"], curlMessage: "x") else {
                return XCTFail("\(code)")
            }
        }
    }

    func testConnectionAndTLSFailuresBeforeTheMessageWasCompleteMakeTheServerUnavailable() {
        for code in [CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_ABORTED_BY_CALLBACK] {
            guard case .unavailable(.connection, _) = SMTPOutcome.classify(curlCode: code, responseCode: 0, replies: ["250 ok"],
                                                                           curlMessage: "x") else {
                return XCTFail("\(code)")
            }
        }
        for code in [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_USE_SSL_FAILED, CURLE_SSL_CACERT_BADFILE] {
            guard case .unavailable(.security, _) = SMTPOutcome.classify(curlCode: code, responseCode: 0, replies: [],
                                                                         curlMessage: "x") else {
                return XCTFail("\(code)")
            }
        }
    }

    func testAnyFailureWithoutAReplyAfterTheMessagesLastByteIsAmbiguousNeverTemporary() {
        for code in [CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_ABORTED_BY_CALLBACK] {
            guard case .ambiguous = SMTPOutcome.classify(curlCode: code, responseCode: 354, replies: ["250 ok", "354 go ahead"],
                                                         curlMessage: "x", messageHandedOver: true) else {
                return XCTFail("\(code)")
            }
        }
        // A reply to the final dot is an answer: 4xx defers, 5xx refuses, whatever libcurl says after it.
        XCTAssertEqual(SMTPOutcome.classify(curlCode: CURLE_SEND_ERROR, responseCode: 451, replies: ["354 go", "451 4.3.0 later"],
                                            curlMessage: "x", messageHandedOver: true),
                       .temporary(code: 451, reply: "451 4.3.0 later (x)"))
    }

    func testMultiLineReplyLinesAreRecognised() {
        XCTAssertTrue(SMTPOutcome.isFinalReplyLine("250 ok"))
        XCTAssertTrue(SMTPOutcome.isFinalReplyLine("250"))
        XCTAssertFalse(SMTPOutcome.isFinalReplyLine("250-PIPELINING"))
        XCTAssertFalse(SMTPOutcome.isFinalReplyLine("hello"))
    }
}
