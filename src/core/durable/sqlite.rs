//! The data directory: one SQLite database (`state.sqlite3`, WAL mode), the
//! journal's files (`journal/`, see `journal_files`) and a lock file, and
//! the thread that writes to them.
//!
//! Tables (format 2):
//! - `meta(key, value)`: facts about the directory;
//! - `workspaces(name, record)`: every workspace besides `default`, in the
//!   order made (`rowid`), its record being its credentials as JSON;
//! - `heads(workspace, part, body)`: what a part (`core`, `softline`, …)
//!   keeps besides objects;
//! - `objects(workspace, part, kind, id, body)`: one row per object, its
//!   body the same JSON a snapshot document holds for it. A rowid table with
//!   a unique index, not `WITHOUT ROWID`: bodies of a kilobyte and more
//!   overflowed its index pages (measured: pages 23% full, 4.7 KB of disk
//!   per stored payment) and every commit rewrote scattered pages. Format 2
//!   adds `touched`: when the row was written, in seconds since the Unix
//!   epoch, for `--retention` (`NULL` in rows written before). Journal
//!   entries were rows too (kind `journal`) before they had files: rows
//!   found at start move to the files.
//!
//! The format is `PRAGMA user_version`; migrations bring an older database
//! up to [`FORMAT`] at start, and a newer one is refused. `synchronous =
//! NORMAL` in WAL mode: a commit is in the operating system's hands when it
//! returns, which survives the process being killed (not a power cut,
//! which `docs/durable-state.md` says).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::journal_files::JournalFiles;
use super::{Batch, Change, Commits, Durable, DurableError};

/// The format this version writes.
pub const FORMAT: i64 = 2;

/// Each migration takes the database from the format before it to its own
/// (index + 1).
const MIGRATIONS: [&str; 2] = [
    "
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE workspaces (name TEXT NOT NULL UNIQUE, record TEXT NOT NULL);
    CREATE TABLE heads (
        workspace TEXT NOT NULL, part TEXT NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (workspace, part)) WITHOUT ROWID;
    CREATE TABLE objects (
        workspace TEXT NOT NULL, part TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (workspace, part, kind, id));
",
    "
    ALTER TABLE objects ADD COLUMN touched INTEGER;
",
];

/// The database's file name in the directory.
pub const DATABASE: &str = "state.sqlite3";
/// The lock file's name.
pub const LOCK: &str = "paysandbox.lock";

/// How many queued batches one transaction takes at most (a bound on how
/// long the first of them waits).
const MAX_BATCHES_PER_COMMIT: usize = 4_096;

/// An opened, locked data directory.
pub struct DataDir {
    path: PathBuf,
    /// The database was made by this opening.
    new: bool,
    connection: Connection,
    /// The journal's entries, in files beside the database.
    journal: JournalFiles,
    /// Held while the process lives: the lock is released when the file
    /// closes, even when the process is killed.
    _lock: File,
}

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
    #[error("the journal's files: {0}")]
    Journal(#[from] std::io::Error),
}

/// What a data directory held at start.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Workspaces besides `default`, in the order made: name and record.
    pub workspaces: Vec<(String, String)>,
}

fn io(path: &Path, error: impl std::fmt::Display) -> DurableError {
    DurableError::Io {
        path: path.display().to_string(),
        detail: error.to_string(),
    }
}

impl DataDir {
    /// Opens (or makes) the directory: takes its lock, checks the database
    /// and brings it to the current format.
    pub fn open(dir: &Path) -> Result<Self, DurableError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DurableError::Locked {
                    path: lock_path.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path, e)),
        }
        let path = dir.join(DATABASE);
        let damaged = |detail: String| DurableError::Damaged {
            path: path.display().to_string(),
            detail,
        };
        let connection = Connection::open(&path).map_err(|e| damaged(e.to_string()))?;
        // The first statement that reads the file says whether it is one.
        let format: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| damaged(e.to_string()))?;
        if format > FORMAT {
            return Err(DurableError::Newer {
                path: path.display().to_string(),
                found: format,
                reads: FORMAT,
            });
        }
        let check: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(|e| damaged(e.to_string()))?;
        if check != "ok" {
            return Err(damaged(check));
        }
        // One process owns the directory (the lock above), so SQLite's own
        // file locks, taken on every transaction, are only syscalls. The
        // page cache stays at its default: a 64 MB one made every commit
        // scan it (`pcache1TruncateUnsafe`, a third of this thread's time).
        // A checkpoint every 100 pages of WAL instead of 1 000: the WAL then
        // stays a few hundred kilobytes that the processor's caches hold,
        // and create-payment ran 25% faster (BENCHMARKS.md); 50 and 400
        // were slower, 10 000 stalled requests behind each checkpoint.
        connection
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA wal_autocheckpoint = 100;",
            )
            .map_err(|e| damaged(e.to_string()))?;
        let mut data_dir = Self {
            new: format == 0,
            path,
            connection,
            journal: JournalFiles::new(dir, crate::config::DEFAULT_JOURNAL_CAPACITY),
            _lock: lock,
        };
        data_dir.migrate(format)?;
        Ok(data_dir)
    }

    fn migrate(&mut self, from: i64) -> Result<(), DurableError> {
        let path = self.path.display().to_string();
        let failed = |e: rusqlite::Error| DurableError::Damaged {
            path: path.clone(),
            detail: format!("migrating: {e}"),
        };
        for (index, script) in MIGRATIONS.iter().enumerate() {
            let to = i64::try_from(index).unwrap_or(i64::MAX) + 1;
            if to <= from {
                continue;
            }
            let transaction = self.connection.transaction().map_err(failed)?;
            transaction.execute_batch(script).map_err(failed)?;
            transaction
                .pragma_update(None, "user_version", to)
                .map_err(failed)?;
            transaction.commit().map_err(failed)?;
            tracing::info!(path = %path, format = to, "data directory migrated");
        }
        Ok(())
    }

    /// Whether the database was made by this opening (nothing kept yet).
    pub fn was_new(&self) -> bool {
        self.new
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn unreadable(&self, what: &str, e: impl std::fmt::Display) -> DurableError {
        DurableError::Unreadable {
            path: self.path.display().to_string(),
            what: what.to_owned(),
            detail: e.to_string(),
        }
    }

    /// The workspaces kept (besides `default`), in the order made.
    pub fn workspaces(&self) -> Result<Loaded, DurableError> {
        let mut statement = self
            .connection
            .prepare("SELECT name, record FROM workspaces ORDER BY rowid")
            .map_err(|e| self.unreadable("workspace", e))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.unreadable("workspace", e))?;
        let workspaces = rows
            .collect::<Result<Vec<(String, String)>, _>>()
            .map_err(|e| self.unreadable("workspace", e))?;
        Ok(Loaded { workspaces })
    }

    /// The head of `part` in `workspace`, if one was written.
    pub fn head(&self, workspace: &str, part: &str) -> Result<Option<String>, DurableError> {
        self.connection
            .query_row(
                "SELECT body FROM heads WHERE workspace = ?1 AND part = ?2",
                params![workspace, part],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.unreadable(&format!("{part} head of {workspace}"), e))
    }

    /// Gives every object of `part` in `workspace` to `load` (kind, id,
    /// body, when it was last written), one at a time.
    pub fn objects(
        &self,
        workspace: &str,
        part: &str,
        mut load: impl FnMut(&str, &str, &str, Option<OffsetDateTime>) -> Result<(), String>,
    ) -> Result<usize, DurableError> {
        let what = format!("{part} object of {workspace}");
        let mut statement = self
            .connection
            .prepare(
                "SELECT kind, id, body, touched FROM objects WHERE workspace = ?1 AND part = ?2",
            )
            .map_err(|e| self.unreadable(&what, e))?;
        let mut rows = statement
            .query(params![workspace, part])
            .map_err(|e| self.unreadable(&what, e))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(|e| self.unreadable(&what, e))? {
            let kind: String = row.get(0).map_err(|e| self.unreadable(&what, e))?;
            let id: String = row.get(1).map_err(|e| self.unreadable(&what, e))?;
            let body: String = row.get(2).map_err(|e| self.unreadable(&what, e))?;
            let touched: Option<i64> = row.get(3).map_err(|e| self.unreadable(&what, e))?;
            let touched = touched.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
            load(&kind, &id, &body, touched)
                .map_err(|e| self.unreadable(&format!("{part} {kind} {id} of {workspace}"), e))?;
            count += 1;
        }
        Ok(count)
    }

    /// Starts the writer thread on this database; the handle requests
    /// queue their changes with.
    pub fn start_writer(self) -> Durable {
        let (sender, receiver) = std::sync::mpsc::channel::<Batch>();
        let commits = Arc::new(Commits::default());
        let path = self.path.display().to_string();
        let durable = Durable::new(sender, Arc::clone(&commits), path.clone());
        let writer_commits = Arc::clone(&commits);
        let spawned = std::thread::Builder::new()
            .name("paysandbox-writer".to_owned())
            .spawn(move || {
                // However the thread ends (a panic included), nobody waits
                // for it in vain.
                let stopped = WriterStopped(Arc::clone(&writer_commits));
                let mut data_dir = self;
                while let Ok(first) = receiver.recv() {
                    let mut batches = vec![first];
                    // Group commit: whatever was queued while the last
                    // commit ran goes in this one.
                    while batches.len() < MAX_BATCHES_PER_COMMIT {
                        match receiver.try_recv() {
                            Ok(batch) => batches.push(batch),
                            Err(_) => break,
                        }
                    }
                    let last = batches.last().map_or(0, |b| b.ticket);
                    tracing::trace!(
                        batches = batches.len(),
                        rows = batches.iter().map(|b| b.changes.len()).sum::<usize>(),
                        "committing"
                    );
                    match data_dir.write(&batches) {
                        Ok(()) => writer_commits.reached(last),
                        Err(error) => {
                            tracing::error!(path = %path, cause = %error, "could not write the state; answers now fail");
                            writer_commits.fail(error.to_string());
                        }
                    }
                }
                drop(stopped);
            });
        if let Err(error) = spawned {
            tracing::error!(cause = %error, "could not start the state writer");
            commits.fail(format!("the writer did not start: {error}"));
        }
        durable
    }

    /// Writes `batches` in one transaction.
    fn write(&mut self, batches: &[Batch]) -> Result<(), WriteError> {
        self.write_journal(batches)?;
        let transaction = self.connection.transaction()?;
        for change in batches.iter().flat_map(|b| &b.changes) {
            apply(&transaction, change)?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The journal's changes among `batches`, before the commit that
    /// acknowledges them: each workspace's entries in one append, after its
    /// last clear.
    fn write_journal(&mut self, batches: &[Batch]) -> std::io::Result<()> {
        let mut appends: Vec<(&str, Vec<&str>)> = Vec::new();
        for change in batches.iter().flat_map(|b| &b.changes) {
            match change {
                Change::JournalEntries { workspace, lines } => {
                    let lines = lines.iter().map(String::as_str);
                    match appends.iter_mut().find(|(w, _)| w == workspace) {
                        Some((_, pending)) => pending.extend(lines),
                        None => appends.push((workspace, lines.collect())),
                    }
                }
                Change::JournalCleared { workspace } => {
                    appends.retain(|(w, _)| w != workspace);
                    self.journal.clear(workspace)?;
                }
                Change::Workspace { name, record: None } => {
                    appends.retain(|(w, _)| w != name);
                    self.journal.remove(name)?;
                }
                _ => {}
            }
        }
        for (workspace, lines) in appends {
            self.journal.append(workspace, &lines)?;
        }
        Ok(())
    }

    /// The journal's capacity, which bounds its files (the setting).
    pub fn with_journal_capacity(mut self, capacity: usize) -> Self {
        self.journal = JournalFiles::new(self.path.parent().unwrap_or(Path::new(".")), capacity);
        self
    }

    /// The journal entries kept for `workspace`, as lines of JSON.
    pub fn journal(&self, workspace: &str) -> Result<Vec<String>, DurableError> {
        self.journal
            .read(workspace)
            .map_err(|e| self.unreadable(&format!("journal of {workspace}"), e))
    }

    /// Writes `changes` now, in one transaction (start-up, before the
    /// writer runs).
    pub fn write_now(&mut self, changes: Vec<Change>) -> Result<(), DurableError> {
        let path = self.path.display().to_string();
        self.write(&[Batch { ticket: 0, changes }])
            .map_err(|e| DurableError::WriteFailed {
                path,
                detail: e.to_string(),
            })
    }
}

/// Fails every waiter when the writer thread ends.
struct WriterStopped(Arc<Commits>);

impl Drop for WriterStopped {
    fn drop(&mut self) {
        self.0.fail("the writer stopped".to_owned());
    }
}

fn apply(transaction: &rusqlite::Transaction<'_>, change: &Change) -> rusqlite::Result<()> {
    match change {
        Change::Workspace {
            name,
            record: Some(record),
        } => {
            transaction
                .prepare_cached(
                    "INSERT INTO workspaces (name, record) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET record = excluded.record",
                )?
                .execute(params![name, record])?;
        }
        Change::Workspace { name, record: None } => {
            for sql in [
                "DELETE FROM workspaces WHERE name = ?1",
                "DELETE FROM heads WHERE workspace = ?1",
                "DELETE FROM objects WHERE workspace = ?1",
            ] {
                transaction.prepare_cached(sql)?.execute(params![name])?;
            }
        }
        Change::Head {
            workspace,
            part,
            body,
        } => {
            transaction
                .prepare_cached(
                    "INSERT INTO heads (workspace, part, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (workspace, part) DO UPDATE SET body = excluded.body",
                )?
                .execute(params![workspace, part, body])?;
        }
        Change::Object {
            workspace,
            part,
            kind,
            id,
            body: Some(body),
            touched,
        } => {
            transaction
                .prepare_cached(
                    "INSERT INTO objects (workspace, part, kind, id, body, touched)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (workspace, part, kind, id)
                     DO UPDATE SET body = excluded.body, touched = excluded.touched",
                )?
                .execute(params![workspace, part, kind, id, body, touched])?;
        }
        Change::Object {
            workspace,
            part,
            kind,
            id,
            body: None,
            ..
        } => {
            transaction
                .prepare_cached(
                    "DELETE FROM objects WHERE workspace = ?1 AND part = ?2 AND kind = ?3 AND id = ?4",
                )?
                .execute(params![workspace, part, kind, id])?;
        }
        Change::JournalEntries { .. } => {}
        // Rows of a data directory from before the journal's files.
        Change::JournalCleared { workspace } => {
            transaction
                .prepare_cached(
                    "DELETE FROM objects WHERE workspace = ?1 AND part = 'core' AND kind = 'journal'",
                )?
                .execute(params![workspace])?;
        }
        Change::Clear {
            workspace,
            part,
            kind,
        } => {
            transaction
                .prepare_cached(
                    "DELETE FROM objects WHERE workspace = ?1 AND part = ?2 AND kind = ?3",
                )?
                .execute(params![workspace, part, kind])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("paysandbox-durable-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn object(id: &str, body: Option<&str>) -> Change {
        Change::Object {
            workspace: "default".to_owned(),
            part: "softline",
            kind: "payments",
            id: id.to_owned(),
            body: body.map(str::to_owned),
            touched: 1_767_225_600,
        }
    }

    fn stored(dir: &DataDir) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        dir.objects("default", "softline", |_, id, body, _| {
            rows.push((id.to_owned(), body.to_owned()));
            Ok(())
        })
        .unwrap();
        rows.sort();
        rows
    }

    #[test]
    fn rows_written_are_read_back_after_reopening() {
        let path = temp_dir("reopen");
        let mut dir = DataDir::open(&path).unwrap();
        dir.write_now(vec![
            object("1", Some("{\"a\":1}")),
            object("2", Some("{}")),
            object("1", Some("{\"a\":2}")),
            object("2", None),
        ])
        .unwrap();
        drop(dir);

        let dir = DataDir::open(&path).unwrap();

        assert_eq!(stored(&dir), [("1".to_owned(), "{\"a\":2}".to_owned())]);
    }

    #[test]
    fn a_row_comes_back_with_the_time_it_was_written() {
        let path = temp_dir("touched");
        let mut dir = DataDir::open(&path).unwrap();
        dir.write_now(vec![object("1", Some("{}"))]).unwrap();
        let mut touched = Vec::new();

        dir.objects("default", "softline", |_, _, _, at| {
            touched.push(at);
            Ok(())
        })
        .unwrap();

        assert_eq!(
            touched,
            [Some(time::macros::datetime!(2026-01-01 0:00 UTC))]
        );
    }

    #[test]
    fn a_format_1_directory_is_migrated_and_its_rows_come_back_untimed() {
        let path = temp_dir("format-1");
        std::fs::create_dir_all(&path).unwrap();
        let old = Connection::open(path.join(DATABASE)).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.execute_batch(
            "INSERT INTO objects (workspace, part, kind, id, body)
             VALUES ('default', 'softline', 'payments', '7', '{}');
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);
        let mut rows = Vec::new();

        let dir = DataDir::open(&path).unwrap();
        dir.objects("default", "softline", |_, id, _, at| {
            rows.push((id.to_owned(), at));
            Ok(())
        })
        .unwrap();

        assert_eq!(rows, [("7".to_owned(), None)]);
        let format: i64 = dir
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(format, FORMAT);
    }

    #[test]
    fn a_second_opening_of_a_locked_directory_is_refused_naming_the_lock() {
        let path = temp_dir("locked");
        let _first = DataDir::open(&path).unwrap();

        let second = DataDir::open(&path).err().unwrap();

        assert_eq!(
            second.to_string(),
            format!(
                "{0}: another paysandbox is using this data directory (it holds {0}); stop it or give another --data-dir",
                path.join(LOCK).display()
            )
        );
    }

    #[test]
    fn a_database_of_a_newer_format_is_refused() {
        let path = temp_dir("newer");
        std::fs::create_dir_all(&path).unwrap();
        let connection = Connection::open(path.join(DATABASE)).unwrap();
        connection.pragma_update(None, "user_version", 7).unwrap();
        drop(connection);

        let error = DataDir::open(&path).err().unwrap();

        assert!(
            matches!(
                error,
                DurableError::Newer {
                    found: 7,
                    reads: FORMAT,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_as_damaged() {
        let path = temp_dir("damaged");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join(DATABASE), vec![b'x'; 8192]).unwrap();

        let error = DataDir::open(&path).err().unwrap();

        assert!(
            error.to_string().starts_with(&format!(
                "{}: the database is damaged (",
                path.join(DATABASE).display()
            )),
            "{error}"
        );
    }

    #[tokio::test]
    async fn the_writer_commits_queued_changes_and_wakes_their_waiters() {
        let path = temp_dir("writer");
        let durable = DataDir::open(&path).unwrap().start_writer();

        let tickets: Vec<u64> = (0..50)
            .map(|i| durable.submit(|changes| changes.push(object(&i.to_string(), Some("{}")))))
            .collect();
        for ticket in tickets {
            durable.wait(ticket).await.unwrap();
        }
        let nothing = durable.submit(|_| {});

        assert_eq!(nothing, 50, "an empty submit waits for the last one queued");
        durable.settled().await.unwrap();
    }
}
