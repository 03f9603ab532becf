import CCurl
import CCurlShim
import OverdueCore

/// Turns what libcurl and the server said about one send into a `DeliveryResult`.
///
/// The server's reply decides when there is a failing one (4xx temporary, 5xx permanent,
/// 530/534/535/538 authentication); otherwise libcurl's code does: connection and timeout
/// problems are temporary, TLS and certificate problems permanent (retrying cannot fix a
/// certificate), and anything unrecognised is temporary so that `give_up_after` still ends it.
enum SMTPOutcome {
    /// - Parameters:
    ///   - replies: every complete server reply of the send, in order. After a failure libcurl
    ///     may still QUIT (`221 Bye`), so the reply that decides is the last one of 400 or above.
    static func classify(curlCode: CURLcode, responseCode: Int, replies: [String], curlMessage: String) -> DeliveryResult {
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
        let code = replyCode
        switch curlCode {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR,
             CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_AGAIN:
            return .temporary(code: code, reply: text)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN:
            return .permanent(code: code, reply: text)
        default:
            return .temporary(code: code, reply: text)
        }
    }

    /// `250 text` or `250` alone ends a reply; `250-text` continues it.
    static func isFinalReplyLine(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return bytes.count == 3 || bytes[3] == UInt8(ascii: " ")
    }
}
