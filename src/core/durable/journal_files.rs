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
//!
//! A file emptied (the turn passing to it, a reset, a deleted workspace) is
//! renamed aside and removed by a thread of its own, the sweeper: emptying
//! it in place (`File::create` truncates) waited in the writer thread for
//! the kernel to finish writing its pages back, tens of milliseconds in
//! which no request could be answered (p99 of a durable create 10–13 ms
//! with turns, 5–6 ms without, BENCHMARKS.md). A file a killed process left
//! aside is removed at the next start.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

/// The directory under the data directory.
pub const JOURNAL_DIR: &str = "journal";

/// How the name of a file set aside ends.
const SET_ASIDE: &str = "dropped";

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
    /// Files set aside so far: the count makes each one's name its own.
    set_aside_so_far: u64,
    /// The sweeper's queue, once a file was set aside.
    sweeper: Option<Sender<PathBuf>>,
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
            set_aside_so_far: 0,
            sweeper: None,
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
            self.remove_left_aside()?;
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
        &mut self,
        workspace: &str,
        turn: &mut Turn,
        lines: &[impl AsRef<str>],
    ) -> io::Result<()> {
        let mut rest = lines;
        while !rest.is_empty() {
            if turn.entries >= self.capacity {
                // The other file, emptied: its entries are the oldest.
                let other = self.path(workspace, 1 - turn.file);
                self.set_aside(&other)?;
                *turn = Turn {
                    open: Some(File::create(other)?),
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
            self.set_aside(&self.path(workspace, file))?;
        }
        Ok(())
    }

    /// Takes `path` away at once (renamed aside), for the sweeper to
    /// remove; nothing when it is not there.
    fn set_aside(&mut self, path: &Path) -> io::Result<()> {
        self.set_aside_so_far += 1;
        let aside = path.with_extension(format!("jsonl.{}.{SET_ASIDE}", self.set_aside_so_far));
        match std::fs::rename(path, &aside) {
            Ok(()) => {
                self.sweep(aside);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Has the sweeper remove `path`, started on the first call; removes it
    /// here if the sweeper cannot be started.
    fn sweep(&mut self, path: PathBuf) {
        if self.sweeper.is_none() {
            let (sender, queue) = std::sync::mpsc::channel::<PathBuf>();
            let started = std::thread::Builder::new()
                .name("paysandbox-sweeper".to_owned())
                .spawn(move || {
                    for path in queue {
                        remove_set_aside(&path);
                    }
                });
            if started.is_ok() {
                self.sweeper = Some(sender);
            }
        }
        match &self.sweeper {
            Some(sweeper) => {
                if let Err(unsent) = sweeper.send(path) {
                    remove_set_aside(&unsent.0);
                }
            }
            None => remove_set_aside(&path),
        }
    }

    /// Removes what a process killed before its sweeper got to them left
    /// aside.
    fn remove_left_aside(&self) -> io::Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == SET_ASIDE) {
                remove_set_aside(&path);
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

/// Removes a file set aside. A failure loses nothing (the file holds only
/// entries the journal dropped) and is logged; the next start tries again.
fn remove_set_aside(path: &Path) {
    if let Err(error) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), cause = %error, "could not remove a journal file set aside");
    }
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

    /// The names in the journal's directory, sorted, once nothing set aside
    /// is left in it (the sweeper removes files on its own thread).
    fn names_once_swept(dir: &Path) -> Vec<String> {
        let names = || {
            let mut names: Vec<String> = std::fs::read_dir(dir.join(JOURNAL_DIR))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        for _ in 0..500 {
            if !names().iter().any(|n| n.ends_with(SET_ASIDE)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        names()
    }

    #[test]
    fn a_file_emptied_by_a_turn_is_set_aside_and_swept_away() {
        let dir = temp_dir("sweep");
        let mut files = JournalFiles::new(&dir, 2);

        files.append("default", &entries(1..=7)).unwrap();

        assert_eq!(files.read("default").unwrap(), entries(5..=7));
        assert_eq!(
            names_once_swept(&dir),
            ["default.0.jsonl", "default.1.jsonl"]
        );
    }

    #[test]
    fn files_a_killed_process_left_aside_are_removed_at_start() {
        let dir = temp_dir("left-aside");
        std::fs::create_dir_all(dir.join(JOURNAL_DIR)).unwrap();
        std::fs::write(
            dir.join(JOURNAL_DIR).join("default.1.jsonl.3.dropped"),
            "{\"id\":1}\n",
        )
        .unwrap();

        JournalFiles::new(&dir, 10)
            .append("default", &entries(2..=2))
            .unwrap();

        assert_eq!(names_once_swept(&dir), ["default.0.jsonl"]);
        assert_eq!(
            JournalFiles::new(&dir, 10).read("default").unwrap(),
            entries(2..=2)
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
        assert_eq!(names_once_swept(&dir), ["a.0.jsonl"]);
    }
}
