import OverdueCore

/// The ledger's schema as an ordered list of migrations. `PRAGMA user_version` holds how many
/// have been applied; pending ones run in one transaction together with the version bump, so a
/// database is always at exactly one version. Append new migrations; never edit a shipped one.
enum Schema {
    static let migrations: [String] = [version1, version2, version3, version4, version5, version6]

    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Brings the database up to `currentVersion`. Re-opening an up-to-date database does nothing.
    ///
    /// Two processes may create the same new file at once (`overdue import` and `overdue run`
    /// started together): the migrations run inside one `BEGIN IMMEDIATE` transaction and the
    /// version is read again once its write lock is held, so the second process waits, then
    /// finds the schema already there instead of failing with "table clients already exists".
    static func migrate(_ db: SQLiteConnection) throws {
        // Without the lock first: opening an up-to-date ledger must not queue behind a writer.
        guard try needsMigration(db) else { return }
        try db.write {
            guard try needsMigration(db) else { return }
            let found = try db.scalarInt("PRAGMA user_version") ?? 0
            for index in Int(found)..<migrations.count {
                try db.execute(migrations[index])
                try db.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    /// True when the file is older than this program; a newer one is refused (74).
    private static func needsMigration(_ db: SQLiteConnection) throws -> Bool {
        let found = try db.scalarInt("PRAGMA user_version") ?? 0
        if found > currentVersion {
            throw OverdueError(.ioError, "\(db.path): schema version \(found) is newer than this overdue supports (\(currentVersion))")
        }
        return found < currentVersion
    }

    // Notes on version 1:
    // - invoices and clients are WITHOUT ROWID tables keyed by their text id: one b-tree, already
    //   in BINARY (byte) order, which is the order `plan` streams in; no second index to maintain
    //   on import.
    // - `paid_recorded_minor` is the sum of `payments`, kept in the same transaction as each
    //   payment insert, so reading an invoice never aggregates. `Invoice.paid` is
    //   `paid_imported_minor + paid_recorded_minor`.
    // - Instants are whole Unix seconds (INTEGER); local dates are `YYYY-MM-DD` text.
    // - Address lists are joined with "\n", which no validated address can contain.
    // - Audit hashes are 32-byte BLOBs (hex in every output): a third of an import's audit
    //   bytes would otherwise be hex digits.
    // - The audit trail refuses UPDATE and DELETE in the database itself; the hash chain catches
    //   whatever gets past that (a raw editor with the triggers dropped).
    // Version 3: the delivery lifecycle (`DispatchState.applying`, `DispatchLifecycle.swift`)
    // enforced by the database itself. Every legal (from, to) pair of the Core table is listed;
    // any other change of `state`, `sending` -> `sending` above all, is refused whoever writes
    // it. A test compares this list with the Core table pair by pair.
    // Version 4: payments from files carry their bank reference ('' when the file has none);
    // `invoice pay` leaves it NULL. A file's payment is one identity (invoice, date, amount,
    // reference), so the same export dropped twice pays once; hand-entered payments stay free
    // to repeat (two transfers of the same amount on one day are real).
    private static let version4 = """
        ALTER TABLE payments ADD COLUMN reference TEXT;
        CREATE UNIQUE INDEX payments_identity ON payments(invoice, paid_on, amount_minor, reference)
            WHERE reference IS NOT NULL;
        """

    private static let version3 = """
        CREATE TRIGGER dispatches_legal_transition BEFORE UPDATE OF state ON dispatches
        WHEN instr(' queued>sending queued>withdrawn queued>done queued>failed'
                || ' retrying>sending retrying>withdrawn retrying>done retrying>failed'
                || ' released>sending released>withdrawn released>done released>failed'
                || ' sending>sent sending>retrying sending>failed sending>ambiguous sending>withdrawn'
                || ' sending>queued sending>released'
                || ' ambiguous>sent ambiguous>released failed>released ',
            ' ' || OLD.state || '>' || NEW.state || ' ') = 0
        BEGIN SELECT RAISE(ABORT, 'illegal dispatch state change'); END;
        """

    // Version 5 (proof of notice): each message keeps the exact bytes last handed to the
    // server under its Message-ID (a retry re-renders the Date header, so the accepted
    // message is the last one marked `sending`) and their SHA-256 (hex), which the
    // `reminder.sent` entry carries, so an exported .eml can be checked against the chain.
    // `messages.invoice` names the invoice of a message sent without a dispatch (the letter
    // before action), which is no stage of the ladder.
    private static let version5 = """
        ALTER TABLE messages ADD COLUMN data BLOB;
        ALTER TABLE messages ADD COLUMN sha256 TEXT;
        ALTER TABLE messages ADD COLUMN invoice TEXT;
        CREATE INDEX messages_by_invoice ON messages(invoice) WHERE invoice IS NOT NULL;
        """

    // Version 6 (the inbox): `inbound` keeps every message read from the inbox under its
    // Message-ID (or a digest of its headers), so a mailbox read again after a UIDVALIDITY
    // change does nothing twice; `failing_addresses` the client addresses a bounce marked,
    // left out of the addresses reminders go to. The read position (UIDVALIDITY, last UID)
    // is in `meta`.
    private static let version6 = """
        CREATE TABLE inbound (
            key TEXT PRIMARY KEY NOT NULL,
            uid_validity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            client TEXT,
            invoice TEXT,
            note TEXT,
            received_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE failing_addresses (
            client_id TEXT NOT NULL REFERENCES clients(id),
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            since INTEGER NOT NULL,
            PRIMARY KEY (client_id, address)
        ) WITHOUT ROWID;
        """

    private static let version1 = """
        CREATE TABLE clients (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            emails TEXT NOT NULL,
            hold INTEGER NOT NULL DEFAULT 0,
            hold_reason TEXT,
            blocked INTEGER NOT NULL DEFAULT 0,
            block_reason TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE invoices (
            number TEXT PRIMARY KEY NOT NULL,
            client_id TEXT NOT NULL REFERENCES clients(id),
            issue_date TEXT NOT NULL,
            due_date TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount_minor INTEGER NOT NULL,
            paid_imported_minor INTEGER NOT NULL DEFAULT 0,
            paid_recorded_minor INTEGER NOT NULL DEFAULT 0,
            -- ORs, not IN (...): SQLite builds an ephemeral table for a long IN list on every row.
            status TEXT NOT NULL CHECK (status = 'open' OR status = 'paid' OR status = 'cancelled'
                OR status = 'escalated' OR status = 'written_off'),
            hold INTEGER NOT NULL DEFAULT 0,
            hold_reason TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            invoice TEXT NOT NULL REFERENCES invoices(number),
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            paid_on TEXT NOT NULL,
            recorded_at INTEGER NOT NULL
        );
        CREATE INDEX payments_by_invoice ON payments(invoice);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL UNIQUE,
            recipients TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_reply TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE TABLE dispatches (
            id INTEGER PRIMARY KEY,
            invoice TEXT NOT NULL REFERENCES invoices(number),
            stage TEXT NOT NULL,
            action TEXT NOT NULL,
            local_date TEXT NOT NULL,
            queued_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_reply TEXT,
            recipients TEXT NOT NULL,
            fee_minor INTEGER NOT NULL DEFAULT 0,
            message INTEGER REFERENCES messages(id),
            UNIQUE (invoice, stage)
        );
        -- (invoice, id) order: the planner's merge reads each invoice's history oldest first.
        CREATE INDEX dispatches_by_invoice ON dispatches(invoice);
        CREATE INDEX dispatches_by_state ON dispatches(state);

        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            as_of INTEGER,
            event TEXT NOT NULL,
            invoice TEXT,
            client TEXT,
            stage TEXT,
            details TEXT NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    // Notes on version 2 (fees are debts):
    // - `fees` holds every fee charged: one row per sent dispatch whose message stated a fee
    //   (`UNIQUE (dispatch)`: charged once, whatever retries or resolutions follow). A waiver
    //   marks rows, never deletes them.
    // - `invoices.fees_minor` is the sum of the unwaived `fees`, kept in the same transaction
    //   as each charge and waiver, like `paid_recorded_minor`: reading an invoice never
    //   aggregates. `Invoice.fees` is this column.
    // - A ledger from version 1 held no fees, though its sent messages stated them (the old
    //   rule added every dispatched fee to the amount due). Those become charges here, dated
    //   when the send was recorded, so no client is asked for an amount the ledger does not
    //   hold. On an invoice already paid or cancelled the charge is recorded waived at once:
    //   the owner settled it before fees were kept, and reopening it would start reminders
    //   again for a fee nobody tracked. The audit chain is hashed in Swift, so the entries
    //   for these charges are appended at the first open (`auditMigratedFees`), which
    //   `fees.migration.unaudited` (the highest migrated fee id) asks for.
    // - `dispatches.subject` keeps the Subject each message went out with, for the
    //   templates' list of earlier reminders.
    private static let version2 = """
        ALTER TABLE invoices ADD COLUMN fees_minor INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE dispatches ADD COLUMN subject TEXT;

        CREATE TABLE fees (
            id INTEGER PRIMARY KEY,
            invoice TEXT NOT NULL REFERENCES invoices(number),
            dispatch INTEGER NOT NULL UNIQUE REFERENCES dispatches(id),
            stage TEXT NOT NULL,
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            charged_at INTEGER NOT NULL,
            waived_at INTEGER,
            waive_reason TEXT
        );
        CREATE INDEX fees_by_invoice ON fees(invoice);

        INSERT INTO fees (invoice, dispatch, stage, amount_minor, charged_at, waived_at, waive_reason)
        SELECT d.invoice, d.id, d.stage, d.fee_minor, coalesce(m.updated_at, d.queued_at),
            CASE WHEN i.status = 'paid' OR i.status = 'cancelled' THEN CAST(strftime('%s', 'now') AS INTEGER) END,
            CASE WHEN i.status = 'paid' OR i.status = 'cancelled'
                THEN 'the invoice was ' || i.status || ' before fees were kept in the ledger' END
        FROM dispatches d JOIN invoices i ON i.number = d.invoice LEFT JOIN messages m ON m.id = d.message
        WHERE d.state = 'sent' AND d.fee_minor > 0
        ORDER BY d.id;
        UPDATE invoices SET fees_minor = (SELECT sum(amount_minor) FROM fees WHERE fees.invoice = invoices.number AND waived_at IS NULL)
        WHERE number IN (SELECT invoice FROM fees WHERE waived_at IS NULL);
        INSERT INTO meta (key, value) SELECT 'fees.migration.unaudited', max(id) FROM fees HAVING count(*) > 0;
        """
}
