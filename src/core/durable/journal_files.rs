//! The journal's entries in a data directory: plain files beside the
//! database, `journal/<workspace>.0.jsonl` and `.1.jsonl`, one entry per
//! line as `/__sandbox/journal` shows it (masked).
//!
//! Why not rows like every other object: the journal is bounded, so every
//! request added an entry and removed the oldest, and those two B-tree
//! changes (with their index, their WAL pages and their checkpoint) were a
//! third of what a durable create-payment cost (BENCHMARKS.md). An append to
//! a file costs one `write` per commit. It is written by the writer thread
//! before the commit that acknowledges the requests, so it survives a
//! `kill -9` as the database does.
//!
//! Bounded by turns: entries go to one file until it holds the journal's
//! capacity, then the other is emptied and takes over. The two hold at least
//! the newest `capacity` entries and at most twice that. A reset empties
//! both; a deleted workspace's files go with it.
//!
//! The file taking entries stays open between commits: opening and closing
//! it (with the directory's `mkdir` and `stat` before) for every commit was
//! 8% of the writer thread's time (BENCHMARKS.md).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory under the data directory.
pub const JOURNAL_DIR: &str = "journal";

/// The writer's hand on every workspace's journal files.
#[derive(Debug)]
pub struct JournalFiles {
    dir: PathBuf,
    capacity: usize,
    /// Which file takes the next entry, and how many it holds, per
    /// workspace written to since start (read from the files the first
    /// time).
    current: HashMap<String, Turn>,
    /// Whether `dir` is known to be there (made once, not per commit).
    dir_made: bool,
}

#[derive(Debug)]
struct Turn {
    file: usize,
    entries: usize,
    /// `file`, open for appending once something was written to it.
    open: Option<File>,
}

impl Turn {
    fn empty(file: usize) -> Self {
        Self {
            file,
            entries: 0,
            open: None,
        }
    }
}

impl JournalFiles {
    /// The files under `data_dir`, each workspace's taking `capacity`
    /// entries before the turn passes to its other file.
    pub fn new(data_dir: &Path, capacity: usize) -> Self {
        Self {
            dir: data_dir.join(JOURNAL_DIR),
            capacity: capacity.max(1),
            current: HashMap::new(),
            dir_made: false,
        }
    }

    fn path(&self, workspace: &str, file: usize) -> PathBuf {
        self.dir.join(format!("{workspace}.{file}.jsonl"))
    }

    /// The entries kept for `workspace`, older file first; a line cut short
    /// by a kill in the middle of a write is left out.
    pub fn read(&self, workspace: &str) -> io::Result<Vec<String>> {
        let mut lines = Vec::new();
        let mut files = Vec::new();
        for file in 0..2 {
            files.push(complete_lines(&self.path(workspace, file))?);
        }
        // The file whose first entry is newer was written after the other.
        if first_id(&files[0]) > first_id(&files[1]) {
            files.swap(0, 1);
        }
        for file in files {
            lines.extend(file);
        }
        Ok(lines)
    }

    /// Appends `lines` (one entry each, no newline) to `workspace`'s
    /// journal.
    pub fn append(&mut self, workspace: &str, lines: &[impl AsRef<str>]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if !self.dir_made {
            std::fs::create_dir_all(&self.dir)?;
            self.dir_made = true;
        }
        let mut turn = match self.current.remove(workspace) {
            Some(turn) => turn,
            None => self.turn_on_disk(workspace)?,
        };
        let written = self.append_in_turns(workspace, &mut turn, lines);
        // Kept even after a failed write, which `open: None` makes reopen:
        // the count stays a bound on what the file holds.
        if written.is_err() {
            turn.open = None;
        }
        self.current.insert(workspace.to_owned(), turn);
        written
    }

    fn append_in_turns(
        &self,
        workspace: &str,
        turn: &mut Turn,
        lines: &[impl AsRef<str>],
    ) -> io::Result<()> {
        let mut rest = lines;
        while !rest.is_empty() {
            if turn.entries >= self.capacity {
                // The other file, emptied: its entries are the oldest.
                *turn = Turn {
                    open: Some(File::create(self.path(workspace, 1 - turn.file))?),
                    ..Turn::empty(1 - turn.file)
                };
            }
            let room = self.capacity - turn.entries;
            let (now, later) = rest.split_at(room.min(rest.len()));
            let mut text = String::with_capacity(now.iter().map(|l| l.as_ref().len() + 1).sum());
            for line in now {
                text.push_str(line.as_ref());
                text.push('\n');
            }
            let file = match &mut turn.open {
                Some(file) => file,
                open => open.insert(
                    OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(self.path(workspace, turn.file))?,
                ),
            };
            file.write_all(text.as_bytes())?;
            turn.entries += now.len();
            rest = later;
        }
        Ok(())
    }

    /// Empties `workspace`'s journal (a reset, a restore).
    pub fn clear(&mut self, workspace: &str) -> io::Result<()> {
        self.remove(workspace)?;
        self.current.insert(workspace.to_owned(), Turn::empty(0));
        Ok(())
    }

    /// Removes `workspace`'s files (it was deleted).
    pub fn remove(&mut self, workspace: &str) -> io::Result<()> {
        self.current.remove(workspace);
        for file in 0..2 {
            match std::fs::remove_file(self.path(workspace, file)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Where the turn stands in the files as they are: the newer file
    /// takes the next entry. A line cut short at its end is cut off, so
    /// the next entry starts a line of its own.
    fn turn_on_disk(&self, workspace: &str) -> io::Result<Turn> {
        let mut counts = [0, 0];
        let mut firsts = [None, None];
        for file in 0..2 {
            let path = self.path(workspace, file);
            let text = read_if_there(&path)?;
            let complete = complete_len(&text);
            if complete < text.len() {
                OpenOptions::new()
                    .write(true)
                    .open(&path)?
                    .set_len(u64::try_from(complete).unwrap_or(u64::MAX))?;
            }
            let lines = lines_of(&text);
            counts[file] = lines.len();
            firsts[file] = first_id(&lines);
        }
        let file = usize::from(firsts[1] > firsts[0]);
        Ok(Turn {
            entries: counts[file],
            ..Turn::empty(file)
        })
    }
}

/// The bytes of `path`, none when there is no file.
fn read_if_there(path: &Path) -> io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        read => read,
    }
}

/// How much of `text` is whole lines (a kill mid-write may leave the last
/// one unfinished).
fn complete_len(text: &[u8]) -> usize {
    text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
}

/// The whole lines of `text`.
fn lines_of(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(&text[..complete_len(text)])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The whole lines of `path` (none when there is no file).
fn complete_lines(path: &Path) -> io::Result<Vec<String>> {
    Ok(lines_of(&read_if_there(path)?))
}

/// The `id` of the first entry of `lines`, if it has one.
fn first_id(lines: &[String]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: u64,
    }
    let first = lines.first()?;
    serde_json::from_str::<Id>(first).ok().map(|e| e.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("paysandbox-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn entries(ids: std::ops::RangeInclusive<u64>) -> Vec<String> {
        ids.map(|id| format!("{{\"id\":{id}}}")).collect()
    }

    #[test]
    fn entries_come_back_in_order_and_never_more_than_twice_the_capacity() {
        let dir = temp_dir("turns");
        let mut files = JournalFiles::new(&dir, 3);

        files.append("default", &entries(1..=2)).unwrap();
        files.append("default", &entries(3..=7)).unwrap();
        files.append("default", &entries(8..=8)).unwrap();

        // 1–3 went first, then 4–6 in the other file, then 7–8 replaced
        // 1–3: the newest three and more are there, at most six.
        assert_eq!(files.read("default").unwrap(), entries(4..=8));
    }

    #[test]
    fn a_restarted_writer_carries_on_where_the_files_stand() {
        let dir = temp_dir("restart");
        JournalFiles::new(&dir, 2)
            .append("ci", &entries(1..=3))
            .unwrap();

        let mut again = JournalFiles::new(&dir, 2);
        again.append("ci", &entries(4..=5)).unwrap();

        assert_eq!(again.read("ci").unwrap(), entries(3..=5));
    }

    #[test]
    fn a_line_cut_short_is_left_out_and_the_next_entry_starts_a_line() {
        let dir = temp_dir("torn");
        let mut files = JournalFiles::new(&dir, 10);
        files.append("default", &entries(1..=1)).unwrap();
        OpenOptions::new()
            .append(true)
            .open(dir.join(JOURNAL_DIR).join("default.0.jsonl"))
            .unwrap()
            .write_all(b"{\"id\":2,\"summ")
            .unwrap();
        assert_eq!(files.read("default").unwrap(), entries(1..=1));

        let mut restarted = JournalFiles::new(&dir, 10);
        restarted.append("default", &entries(3..=3)).unwrap();

        assert_eq!(
            restarted.read("default").unwrap(),
            ["{\"id\":1}", "{\"id\":3}"]
        );
    }

    #[test]
    fn a_cleared_journal_is_empty_and_a_removed_one_leaves_no_file() {
        let dir = temp_dir("clear");
        let mut files = JournalFiles::new(&dir, 10);
        files.append("a", &entries(1..=2)).unwrap();
        files.append("b", &entries(1..=2)).unwrap();

        files.clear("a").unwrap();
        files.append("a", &entries(3..=3)).unwrap();
        files.remove("b").unwrap();

        assert_eq!(files.read("a").unwrap(), entries(3..=3));
        assert!(files.read("b").unwrap().is_empty());
        assert!(!dir.join(JOURNAL_DIR).join("b.0.jsonl").exists());
    }
}
