import CLibPQ
import Foundation
import OverdueCore

/// A value for a statement parameter. Text and numbers go as text; bytes go in binary form,
/// so message bytes are never escaped.
public enum PGValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    case bytes([UInt8])

    static func optional(_ text: String?) -> PGValue { text.map(PGValue.text) ?? .null }
    static func optional(_ value: Int64?) -> PGValue { value.map(PGValue.int) ?? .null }
    static func bool(_ flag: Bool) -> PGValue { .int(flag ? 1 : 0) }
}

/// One PostgreSQL session through libpq. Every failure becomes `OverdueError(.ioError, "LABEL: …")`
/// where LABEL is the database URL without its password (which is never in a message).
///
/// libpq reads what the URL does not say from its own sources (PGPASSFILE, the service file,
/// PG* variables) and does TLS itself, so `sslmode=verify-full` is enforced as libpq enforces it.
/// Not safe for concurrent use; the store serializes access with a lock.
public final class PGConnection {
    /// The URL as given, its password (if any) removed: prefixed to every error message.
    public let label: String
    private let url: String
    private let password: String?
    private var handle: OpaquePointer?
    private var depth = 0
    /// SQLSTATE of the last failure (`08006` connection failure...), for callers that retry.
    private(set) var lastState: String = ""
    /// True when the last failure was the session itself (dropped connection, server restart).
    private(set) var lastFailureWasConnection = false
    /// Called after a new session replaces a lost one, before anything runs on it (the store
    /// takes its daemon lock again there).
    var onReconnect: ((PGConnection) throws -> Void)?
    /// Told of each message the server sends outside a statement's result (a WARNING, or the
    /// FATAL that announces a shutdown before the session drops), one line with its severity.
    /// Unset, they are dropped: libpq's default would write them raw to stderr, unlike every
    /// other log line.
    var onNotice: (@Sendable (String) -> Void)?

    public init(url: String, password: String?) throws {
        self.url = url
        self.password = password
        label = PGConnection.redacted(url)
        try connect()
    }

    deinit { close() }

    /// `postgresql://user:secret@host/db` → `postgresql://user@host/db`; a `password=` query
    /// parameter is dropped too.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url.components(separatedBy: "@").last.map { "postgresql://…@" + $0 } ?? "postgresql://…" }
        parts.password = nil
        if let items = parts.queryItems {
            let kept = items.filter { $0.name.lowercased() != "password" }
            parts.queryItems = kept.isEmpty ? nil : kept
        }
        return parts.string ?? "postgresql://…"
    }

    private func connect() throws {
        // Defaults the URL may override (libpq lets the expanded URL override earlier keywords):
        // a daemon cut off from the server notices within about half a minute instead of
        // the kernel's hours, on an idle session and on an unanswered write alike.
        var keys = ["connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                    "dbname", "fallback_application_name"]
        var values = ["10", "10", "5", "3", "30000", url, "overdue"]
        if let password { keys.append("password"); values.append(password) }
        let conn = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let text = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            lastFailureWasConnection = true
            throw OverdueError(.ioError, "\(label): cannot connect to the database: \(clean(text))")
        }
        handle = conn
        PQsetNoticeReceiver(conn, { context, result in
            guard let context, let result else { return }
            let connection = Unmanaged<PGConnection>.fromOpaque(context).takeUnretainedValue()
            connection.notice(result)
        }, Unmanaged.passUnretained(self).toOpaque())
        // Every commit waits for the WAL flush (the server's default, insisted on here): a
        // `sending` mark must survive a crash of the server before the first byte goes out.
        _ = try execute("SET synchronous_commit = on; SET client_min_messages = warning; SET TIME ZONE 'UTC'")
        // The server drops a session whose client is gone by the same clock the client uses
        // (the URL's keepalive settings or the defaults above), which frees a cut-off daemon's
        // advisory lock, so the others settle its batch within that bound, not the kernel's hours.
        let effective = PGConnection.options(of: conn)
        var settings: [String] = []
        for (client, server) in [("keepalives_idle", "tcp_keepalives_idle"), ("keepalives_interval", "tcp_keepalives_interval"),
                                 ("keepalives_count", "tcp_keepalives_count"), ("tcp_user_timeout", "tcp_user_timeout")] {
            if let value = effective[client].flatMap(Int.init) { settings.append("SET \(server) = \(value)") }
        }
        if !settings.isEmpty { _ = try execute(settings.joined(separator: "; ")) }
    }

    private func notice(_ result: OpaquePointer) {
        guard let onNotice else { return }
        let text = clean(String(cString: PQresultErrorMessage(result)))
        guard !text.isEmpty else { return }
        onNotice("\(label): the server says: \(text)")
    }

    /// The connection's settings as libpq resolved them (URL, defaults, environment).
    private static func options(of conn: OpaquePointer) -> [String: String] {
        guard let list = PQconninfo(conn) else { return [:] }
        defer { PQconninfoFree(list) }
        var found: [String: String] = [:]
        var index = 0
        while let keyword = list[index].keyword {
            if let value = list[index].val { found[String(cString: keyword)] = String(cString: value) }
            index += 1
        }
        return found
    }

    public var isClosed: Bool { handle == nil }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// A session that is still up, made anew (once) when the server dropped it outside a
    /// transaction; inside one, the transaction is lost and the caller's retry decides.
    func live() throws -> OpaquePointer {
        if let handle, PQstatus(handle) == CONNECTION_OK { return handle }
        guard depth == 0 else {
            lastFailureWasConnection = true
            throw OverdueError(.ioError, "\(label): the connection to the database was lost")
        }
        if handle == nil, closedForGood { throw OverdueError(.ioError, "\(label): the database is closed") }
        close()
        try connect()
        do {
            try onReconnect?(self)
        } catch {
            // The old session may still be on the server (it has not noticed the link went
            // down): worth waiting for, as for the connection itself.
            close()
            lastFailureWasConnection = true
            throw error
        }
        return handle!
    }

    /// Set by `close()` callers that mean it; a dropped session is reopened, a closed store is not.
    var closedForGood = false

    // MARK: Statements

    /// Runs `sql` with `$1…` bound to `params`; the rows (text format) or the count of rows changed.
    @discardableResult
    public func query(_ sql: String, _ params: [PGValue] = []) throws -> PGResult {
        let conn = try live()
        var texts: [[CChar]?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        texts.reserveCapacity(params.count)
        for param in params {
            switch param {
            case .null: texts.append(nil); lengths.append(0); formats.append(0)
            case .int(let v): texts.append(Array(String(v).utf8CString)); lengths.append(0); formats.append(0)
            case .text(let s): texts.append(Array(s.utf8CString)); lengths.append(0); formats.append(0)
            case .bytes(let b):
                texts.append(b.map { CChar(bitPattern: $0) } + [0]); lengths.append(Int32(b.count)); formats.append(1)
            }
        }
        let result: OpaquePointer? = withPointers(texts) { pointers in
            PQexecParams(conn, sql, Int32(params.count), nil, pointers, lengths, formats, 0)
        }
        return try check(result)
    }

    /// Runs one or more statements without parameters (schema scripts, SET).
    @discardableResult
    public func execute(_ sql: String) throws -> PGResult {
        guard let conn = handle else { throw OverdueError(.ioError, "\(label): the database is closed") }
        return try check(PQexec(conn, sql))
    }

    func check(_ result: OpaquePointer?) throws -> PGResult {
        guard let result else {
            lastFailureWasConnection = true
            throw OverdueError(.ioError, "\(label): \(clean(handle.map { String(cString: PQerrorMessage($0)) } ?? "no result"))")
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let text = String(cString: PQresultErrorMessage(result))
            PQclear(result)
            lastState = state
            lastFailureWasConnection = state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
                || (handle.map { PQstatus($0) != CONNECTION_OK } ?? true)
            throw OverdueError(.ioError, "\(label): \(clean(text))")
        }
    }

    /// True for a failure that goes away by itself: the session lost (server restart, network),
    /// a serialization failure or deadlock, a server out of space.
    var lastFailureIsTransient: Bool {
        lastFailureWasConnection || lastState == "40001" || lastState == "40P01" || lastState.hasPrefix("53")
            || lastState == "55P03"
    }

    /// The session died in the middle of an exchange (a COPY whose end never arrived).
    func markConnectionLost() { lastFailureWasConnection = true }

    func clearLastFailure() {
        lastState = ""
        lastFailureWasConnection = false
    }

    private func clean(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ")
            .replacingOccurrences(of: "\t", with: " ")
    }

    // MARK: Transactions

    var inTransaction: Bool { depth > 0 }

    /// Runs `body` in one transaction, committed when it returns and rolled back when it
    /// throws. Nested calls become savepoints.
    public func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        if depth > 0 {
            try execute("SAVEPOINT nested")
            depth += 1
            do {
                let result = try body()
                depth -= 1
                try execute("RELEASE SAVEPOINT nested")
                return result
            } catch {
                depth -= 1
                _ = try? execute("ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested")
                throw error
            }
        }
        _ = try live()
        try execute(begin)
        depth = 1
        do {
            let result = try body()
            depth = 0
            try execute("COMMIT")
            return result
        } catch {
            depth = 0
            if let handle, PQstatus(handle) == CONNECTION_OK { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: Convenience

    /// The first column of the first row as an integer (nil when no row or NULL).
    public func scalarInt(_ sql: String, _ params: [PGValue] = []) throws -> Int64? {
        let rows = try query(sql, params)
        return rows.count > 0 ? rows.optionalInt(0, 0) : nil
    }

    public func scalarText(_ sql: String, _ params: [PGValue] = []) throws -> String? {
        let rows = try query(sql, params)
        return rows.count > 0 ? rows.optionalText(0, 0) : nil
    }
}

private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    var owned = strings.map { strdup($0) }
    defer { owned.forEach { free($0) } }
    owned.append(nil)
    return owned.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withPointers<T>(_ values: [[CChar]?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
    let owned: [UnsafeMutablePointer<CChar>?] = values.map { value in
        guard let value else { return nil }
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(value.count, 1))
        value.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: value.count) }
        return copy
    }
    defer { owned.forEach { $0?.deallocate() } }
    return owned.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress) }
}
