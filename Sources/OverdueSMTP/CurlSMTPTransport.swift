import CCurl
import CCurlShim
import Dispatch
import Foundation
import OverdueCore

/// Sends messages over SMTP with libcurl: STARTTLS required (or implicit TLS with `smtps://`),
/// peer and host name always verified, AUTH when a username is configured.
///
/// One easy handle lives as long as the transport, so libcurl keeps the connection (and its
/// TLS session and authentication) open between `send` calls: a batch costs one handshake.
/// Not thread-safe; one sender uses it at a time.
public final class CurlSMTPTransport: MailTransport {
    private var handle: UnsafeMutableRawPointer
    private let endpoint: SMTPServerAddress
    /// The message being uploaded and how far the read callback has got.
    private var body: [UInt8] = []
    private var bodyOffset = 0
    /// Set once the read callback has handed libcurl the message's last byte: from then on the
    /// server may have the whole message, so no failure can mean "not delivered".
    private var handedOverAt: UInt64?
    /// Last time (monotonic nanoseconds) the server said something or libcurl sent something.
    private var lastActivity: UInt64 = 0
    /// `smtp.timeout`: the wait for the connection and for each reply before the message is complete.
    private let commandTimeout: UInt64
    /// True when the progress callback ended the send for want of an answer.
    private var timedOut = false
    /// Server reply lines of the current send, as the debug callback saw them (replies only:
    /// what we send, which includes the AUTH exchange, is never captured).
    private var replyLines: [String] = []
    /// RFC 5321 4.5.3.2.6: a client waits at least 10 minutes for the reply to the final dot,
    /// since the server may be delivering or scanning the message before it answers.
    static let finalReplyWait = 600
    /// libcurl writes its detailed error text here; it must outlive every call, hence not an array.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// - Parameters:
    ///   - password: the secret already read from `password_file`/`password_env`; handed to
    ///     libcurl and not kept by this object.
    public init(_ settings: SMTPSettings, password: String?) throws(OverdueError) {
        _ = CurlSMTPTransport.globalInit
        endpoint = try SMTPServerAddress(settings, greeting: greetingName(for: settings))
        commandTimeout = UInt64(max(1, settings.timeout.seconds)) * 1_000_000_000
        guard let handle = curl_easy_init() else { throw OverdueError(.unavailable, "libcurl: cannot create a handle") }
        self.handle = handle
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure(settings, password: password)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private func configure(_ settings: SMTPSettings, password: String?) throws(OverdueError) {
        func check(_ code: CURLcode, _ what: String) throws(OverdueError) {
            guard code == CURLE_OK else {
                throw .config("smtp: libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        try check(overdue_curl_setopt_string(handle, CURLOPT_URL, endpoint.url), "smtp.url")
        try check(overdue_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_SMTP | CURLPROTO_SMTPS)), "the protocol list")
        switch endpoint.security {
        case .implicitTLS, .startTLS:
            try check(overdue_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)), "STARTTLS")
        case .none:
            try check(overdue_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue)), "plain text")
        }
        try check(overdue_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "peer verification")
        try check(overdue_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "host verification")
        try check(overdue_curl_setopt_long(handle, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2), "TLS 1.2 minimum")
        if let caFile = settings.caFile {
            try check(overdue_curl_setopt_string(handle, CURLOPT_CAINFO, caFile), "smtp.ca_file")
        }
        if let username = settings.username {
            try check(overdue_curl_setopt_string(handle, CURLOPT_USERNAME, username), "smtp.username")
            try check(overdue_curl_setopt_string(handle, CURLOPT_PASSWORD, password ?? ""), "the password")
            // Only the mechanisms meant for a TLS-protected channel: no CRAM/DIGEST-MD5 or NTLM surprises.
            try check(overdue_curl_setopt_string(handle, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN;AUTH=LOGIN"), "AUTH mechanisms")
        }
        // libcurl has one reply timeout for every command; the final dot needs RFC 5321's
        // longer wait, so libcurl gets that one and `smtp.timeout` is enforced for everything
        // before the final dot by the progress callback (`checkTimeout`).
        let seconds = max(1, settings.timeout.seconds)
        try check(overdue_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, seconds), "smtp.timeout")
        try check(overdue_curl_setopt_long(handle, CURLOPT_TIMEOUT, 0), "no transfer time limit")
        try check(overdue_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, CurlSMTPTransport.finalReplyWait),
                  "the final reply wait")
        try check(overdue_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        try check(overdue_curl_setopt_long(handle, CURLOPT_UPLOAD, 1), "upload")
        try check(overdue_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "the error buffer")

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(overdue_curl_setopt_read_callback(handle) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let transport = Unmanaged<CurlSMTPTransport>.fromOpaque(context).takeUnretainedValue()
            return transport.fill(buffer, capacity: size * count)
        }, "the read callback")
        try check(overdue_curl_setopt_pointer(handle, CURLOPT_READDATA, me), "the read context")
        try check(overdue_curl_setopt_debug_callback(handle) { _, type, data, size, context in
            guard let context else { return 0 }
            let transport = Unmanaged<CurlSMTPTransport>.fromOpaque(context).takeUnretainedValue()
            transport.lastActivity = DispatchTime.now().uptimeNanoseconds
            guard type == CURLINFO_HEADER_IN, let data else { return 0 }
            transport.recordReply(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }, "the debug callback")
        try check(overdue_curl_setopt_xferinfo_callback(handle) { context, _, _, _, _ in
            guard let context else { return 0 }
            return Unmanaged<CurlSMTPTransport>.fromOpaque(context).takeUnretainedValue().checkTimeout()
        }, "the progress callback")
        try check(overdue_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, me), "the progress context")
        try check(overdue_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "the progress callback")
        try check(overdue_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, me), "the debug context")
        // The debug callback only runs in verbose mode; with a callback set, nothing reaches stderr.
        try check(overdue_curl_setopt_long(handle, CURLOPT_VERBOSE, 1), "reply capture")
    }

    public func send(_ message: OutgoingMessage) -> DeliveryResult {
        body = message.data
        bodyOffset = 0
        handedOverAt = nil
        timedOut = false
        lastActivity = DispatchTime.now().uptimeNanoseconds
        replyLines.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        defer { body = [] }

        // Envelope values come from the ledger: one with a line break would smuggle in an SMTP command.
        let envelope = [message.envelopeFrom] + message.recipients
        if let bad = envelope.first(where: { !Mailbox.isValidAddress($0) }) {
            return .permanent(code: nil, reply: "refused before sending: \"\(bad.escapingControls())\" is not a valid address")
        }
        guard !message.recipients.isEmpty else { return .permanent(code: nil, reply: "refused before sending: no recipients") }

        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        for address in message.recipients { recipients = curl_slist_append(recipients, address) }
        defer { curl_slist_free_all(recipients) }

        var code = overdue_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(message.envelopeFrom)>")
        if code == CURLE_OK { code = overdue_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients) }
        if code == CURLE_OK { code = overdue_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.count)) }
        if code == CURLE_OK { code = curl_easy_perform(handle) }
        // The slist is freed when this returns; libcurl must not keep a pointer to it.
        _ = overdue_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, nil)

        var responseCode = 0
        _ = overdue_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let message = timedOut ? "timed out: no answer from the server within smtp.timeout (\(commandTimeout / 1_000_000_000) s)" : detail
        return SMTPOutcome.classify(curlCode: code, responseCode: responseCode, replies: completeReplies(), curlMessage: message,
                                    messageHandedOver: handedOverAt != nil)
    }

    /// Ends the connection (QUIT) and keeps the options: the next `send` connects afresh.
    /// A duplicate handle carries every option but no connection, so the password need not be kept here.
    public func close() {
        guard let fresh = curl_easy_duphandle(handle) else { return }
        curl_easy_cleanup(handle)
        handle = fresh
    }

    private func fill(_ buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, body.count - bodyOffset)
        guard count > 0 else { return 0 }
        body.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + bodyOffset, byteCount: count)
        }
        bodyOffset += count
        lastActivity = DispatchTime.now().uptimeNanoseconds
        if bodyOffset == body.count { handedOverAt = lastActivity }
        return count
    }

    /// Ends the send (non-zero) when the server has been silent for `smtp.timeout` before the
    /// message is complete; after its last byte libcurl's reply timeout (`finalReplyWait`) applies.
    private func checkTimeout() -> Int32 {
        guard handedOverAt == nil else { return 0 }
        if DispatchTime.now().uptimeNanoseconds - lastActivity > commandTimeout {
            timedOut = true
            return 1
        }
        return 0
    }

    private func recordReply(_ bytes: UnsafeRawBufferPointer) {
        // Line ends trimmed as bytes (neither CR nor LF is ever part of a longer UTF-8 sequence):
        // removing scalars from a String one at a time cost more than the rest of a send.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        replyLines.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self).escapingControls())
    }

    /// The complete replies of this send in order, the lines of a multi-line reply joined by a space.
    private func completeReplies() -> [String] {
        var replies: [String] = []
        var pending: [String] = []
        for line in replyLines {
            pending.append(line)
            if SMTPOutcome.isFinalReplyLine(line) {
                replies.append(pending.joined(separator: " "))
                pending.removeAll()
            }
        }
        return replies
    }
}
