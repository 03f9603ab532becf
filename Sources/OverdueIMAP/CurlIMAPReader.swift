import CCurl
import CCurlShim
import Foundation
import OverdueCore
import OverdueSMTP

/// Reads `[inbox]` over IMAP, strictly read-only.
///
/// libcurl makes the connection: TCP, TLS (implicit for `imaps`, STARTTLS required for
/// `imap`), certificate and host name verified, and the login (`CURLOPT_CONNECT_ONLY` still
/// runs the protocol's connect phase). The session after that is spoken here over
/// `curl_easy_send`/`curl_easy_recv`, because libcurl's own IMAP commands cannot do what a
/// read-only reader needs: its fetch is `BODY[]` after a `SELECT`, which marks every message
/// `\Seen`, and a custom `FETCH` drops the literal that carries the message. So the mailbox is
/// opened with `EXAMINE` (the server itself then refuses any change) and messages are fetched
/// with `BODY.PEEK[]`; no command that stores, copies, moves or expunges exists in this file.
public final class CurlIMAPReader: InboxReader {
    private let settings: InboxSettings
    private let password: String
    private let timeoutSeconds: Int
    /// A message larger than this (its `RFC822.SIZE`) is not fetched.
    public let maxMessageBytes: Int
    private var handle: UnsafeMutableRawPointer?
    private var socket: curl_socket_t = -1
    private var buffer: [UInt8] = []
    private var tagCounter = 0
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    public init(_ settings: InboxSettings, password: String, timeoutSeconds: Int = 30, maxMessageBytes: Int = 10 << 20) {
        self.settings = settings
        self.password = password
        self.timeoutSeconds = timeoutSeconds
        self.maxMessageBytes = maxMessageBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        disconnect()
        errorBuffer.deallocate()
    }

    /// The reader `[inbox]` describes; the password is read here, so a missing secret is a
    /// config error (78) naming the file or variable.
    public static func make(_ settings: InboxSettings) throws(OverdueError) -> CurlIMAPReader {
        CurlIMAPReader(settings, password: try readSMTPPassword(settings.password, section: "inbox"))
    }

    public func read(after cursor: InboxCursor?, limit: Int, _ body: (UInt32, InboxItem) throws -> Void) throws -> InboxCursor {
        try connect()
        defer { disconnect() }
        let examined = try command("EXAMINE \(quoted(settings.endpoint.mailbox))")
        guard let validity = examined.lazy.compactMap({ Self.number(after: "[UIDVALIDITY ", in: $0.line) }).first,
              let uidValidity = UInt32(exactly: validity) else {
            throw unavailable("the server gave no UIDVALIDITY for \(settings.endpoint.mailbox)")
        }
        let start = cursor?.uidValidity == uidValidity ? cursor!.lastUID : 0
        var position = InboxCursor(uidValidity: uidValidity, lastUID: start)
        guard start < UInt32.max else { return position }
        // `N:*` also answers with the last message when every UID is below N (RFC 3501 6.4.8).
        let listed = try command("UID FETCH \(start + 1):* (UID RFC822.SIZE)").compactMap { response -> (UInt32, Int)? in
            guard let uid = Self.number(after: "UID ", in: response.line).flatMap(UInt32.init(exactly:)), uid > start,
                  let size = Self.number(after: "RFC822.SIZE ", in: response.line) else { return nil }
            return (uid, Int(size))
        }.sorted { $0.0 < $1.0 }.prefix(limit)
        for (uid, size) in listed {
            if size > maxMessageBytes {
                try body(uidValidity, .tooLarge(uid: uid, size: size))
            } else {
                // A message expunged meanwhile answers with no literal: nothing to read.
                let fetched: [Response] = try command("UID FETCH \(uid) (UID BODY.PEEK[])")
                if let literal = fetched.first(where: { !$0.literals.isEmpty }) {
                    try body(uidValidity, .message(uid: uid, bytes: literal.literals[0]))
                }
            }
            position.lastUID = uid
        }
        _ = try? command("LOGOUT")
        return position
    }

    // MARK: Connection

    private func connect() throws {
        _ = CurlIMAPReader.globalInit
        guard let handle = curl_easy_init() else { throw OverdueError(.unavailable, "libcurl: cannot create a handle") }
        self.handle = handle
        func set(_ code: CURLcode, _ what: String) throws {
            guard code == CURLE_OK else { throw OverdueError(.config, "inbox: libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        errorBuffer[0] = 0
        try set(overdue_curl_setopt_string(handle, CURLOPT_URL, settings.endpoint.serverURL), "inbox.url")
        try set(overdue_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_IMAP | CURLPROTO_IMAPS)), "the protocol list")
        try set(overdue_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)), "TLS")
        try set(overdue_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "peer verification")
        try set(overdue_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "host verification")
        try set(overdue_curl_setopt_long(handle, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2), "TLS 1.2 minimum")
        if let caFile = settings.caFile { try set(overdue_curl_setopt_string(handle, CURLOPT_CAINFO, caFile), "inbox.ca_file") }
        try set(overdue_curl_setopt_string(handle, CURLOPT_USERNAME, settings.username), "inbox.username")
        try set(overdue_curl_setopt_string(handle, CURLOPT_PASSWORD, password), "the password")
        try set(overdue_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, timeoutSeconds), "the timeout")
        try set(overdue_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeoutSeconds), "the timeout")
        try set(overdue_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        try set(overdue_curl_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1), "connect only")
        try set(overdue_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "the error buffer")
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            throw unavailable(code == CURLE_LOGIN_DENIED ? "login refused for \(settings.username) (\(detail))" : detail)
        }
        guard overdue_curl_getinfo_socket(handle, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket >= 0 else {
            throw unavailable("libcurl gave no connection")
        }
    }

    private func disconnect() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
        socket = -1
        buffer.removeAll()
    }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private func unavailable(_ reason: String) -> OverdueError {
        OverdueError(.unavailable, "inbox \(settings.endpoint.host): \(reason)")
    }

    // MARK: Commands and responses

    /// One untagged response: its text (literals left out) and its literals in order.
    struct Response {
        var line: String
        var literals: [[UInt8]]
    }

    /// Sends `text` with a fresh tag and returns the untagged responses; a tagged NO or BAD throws.
    private func command(_ text: String) throws -> [Response] {
        tagCounter += 1
        let tag = "o\(tagCounter)"
        try send(Array("\(tag) \(text)\r\n".utf8))
        var responses: [Response] = []
        while true {
            var response = Response(line: "", literals: [])
            var line = try readLine()
            while let size = Self.literalSize(line) {
                guard size <= maxMessageBytes + (1 << 20) else { throw unavailable("the server sent a literal of \(size) bytes") }
                response.line += String(decoding: line, as: UTF8.self) + " "
                response.literals.append(try readBytes(size))
                line = try readLine()
            }
            response.line += String(decoding: line, as: UTF8.self)
            if response.line.hasPrefix(tag + " ") {
                let status = response.line.dropFirst(tag.count + 1)
                guard status.uppercased().hasPrefix("OK") else {
                    throw unavailable("\(text.split(separator: " ").prefix(2).joined(separator: " ")): \(status.prefix(200))")
                }
                return responses
            }
            if response.line.hasPrefix("* BYE") { throw unavailable("the server closed the session: \(response.line.prefix(200))") }
            responses.append(response)
        }
    }

    /// `{123}` or `{123+}` at the end of a line: a literal of that many bytes follows.
    static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// The number after `marker` in `line` (ASCII case-insensitive).
    static func number(after marker: String, in line: String) -> UInt64? {
        guard let range = line.range(of: marker, options: .caseInsensitive) else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return UInt64(digits)
    }

    private func quoted(_ mailbox: String) -> String { "\"\(mailbox)\"" }

    private func readLine() throws -> [UInt8] {
        var scanned = 0
        while true {
            if let end = buffer[scanned...].firstIndex(of: 10) {
                var line = Array(buffer[..<end])
                if line.last == 13 { line.removeLast() }
                buffer.removeSubrange(...end)
                return line
            }
            scanned = buffer.count
            guard buffer.count < 1 << 20 else { throw unavailable("a response line longer than 1 MiB") }
            try receive()
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try receive() }
        let bytes = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return bytes
    }

    private func receive() throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var received = 0
            let code = chunk.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress, $0.count, &received) }
            if code == CURLE_OK {
                guard received > 0 else { throw unavailable("the server closed the connection") }
                buffer.append(contentsOf: chunk[..<received])
                return
            }
            guard code == CURLE_AGAIN else { throw unavailable("reading: \(String(cString: curl_easy_strerror(code)))") }
            try wait(for: Int16(POLLIN))
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { curl_easy_send(handle, $0.baseAddress! + offset, bytes.count - offset, &sent) }
            if code == CURLE_OK { offset += sent; continue }
            guard code == CURLE_AGAIN else { throw unavailable("sending: \(String(cString: curl_easy_strerror(code)))") }
            try wait(for: Int16(POLLOUT))
        }
    }

    private func wait(for events: Int16) throws {
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&descriptor, 1, Int32(timeoutSeconds * 1000))
        if ready == 0 { throw unavailable("timed out: no answer within \(timeoutSeconds) s") }
        if ready < 0, errno != EINTR { throw unavailable("poll: \(String(cString: strerror(errno)))") }
    }
}
