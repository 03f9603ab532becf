import CCurl
import CCurlShim
import OverdueCore

/// Turns what libcurl and the server said about one send into a `DeliveryResult`.
///
/// The server's reply decides when there is a failing one (4xx temporary, 5xx permanent,
/// 530/534/535/538 authentication). Without one, libcurl's code decides, and when it happened
/// matters: once the message's last byte was handed over, a dropped connection or a missing
/// final reply is `ambiguous` (the server may have accepted the message, so resending could
/// deliver it twice); before that, connection and timeout problems make the server
/// `unavailable(.connection)` and TLS and certificate problems `unavailable(.security)`.
enum SMTPOutcome {
    /// - Parameters:
    ///   - replies: every complete server reply of the send, in order. After a failure libcurl
    ///     may still QUIT (`221 Bye`), so the reply that decides is the last one of 400 or above.
    ///   - messageHandedOver: the read callback handed libcurl the message's last byte.
    static func classify(curlCode: CURLcode, responseCode: Int, replies: [String], curlMessage: String,
                         messageHandedOver: Bool = false) -> DeliveryResult {
        if curlCode == CURLE_OK {
            return .delivered(reply: replies.last ?? "\(responseCode) (no reply text)")
        }
        let failing = replies.last { (Int($0.prefix(3)) ?? 0) >= 400 }
        let replyCode = failing.flatMap { Int($0.prefix(3)) }
        let text: String
        if let failing {
            text = "\(failing) (\(curlMessage))"
        } else if let last = replies.last {
            text = "\(curlMessage) (last reply: \(last.prefix(120)))"
        } else {
            text = curlMessage
        }
        if curlCode == CURLE_LOGIN_DENIED {
            return .authenticationRefused(code: replyCode, reply: text)
        }
        if let replyCode, replyCode >= 400 {
            if [530, 534, 535, 538].contains(replyCode) { return .authenticationRefused(code: replyCode, reply: text) }
            return replyCode < 500 ? .temporary(code: replyCode, reply: text) : .permanent(code: replyCode, reply: text)
        }
        if messageHandedOver {
            return .ambiguous(reply: "no final reply after the message was sent: \(text)")
        }
        switch curlCode {
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN:
            return .unavailable(.security, reply: text)
        default:
            // Refused, dropped or timed out (our own progress check aborts with
            // CURLE_ABORTED_BY_CALLBACK), or anything unrecognised: the server, not the message.
            return .unavailable(.connection, reply: text)
        }
    }

    /// `250 text` or `250` alone ends a reply; `250-text` continues it.
    static func isFinalReplyLine(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return bytes.count == 3 || bytes[3] == UInt8(ascii: " ")
    }
}
