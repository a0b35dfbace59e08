//! A student's submission: a folder, a `.zip` or a `.tar.gz`, of which the
//! grader reads only the Rust source files that hold exercises, and of those
//! only the text between the exercise markers.
//!
//! Nothing in a submission is built or run as it is: its regions are checked
//! ([`crate::check`]) and spliced into a fresh export of the reference.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::check::{check_region, Refusal};
use crate::markers;

/// A Rust file larger than this is not read (no exercise file comes near it).
pub const MAX_FILE_BYTES: u64 = 2 << 20;
/// At most this much Rust source is read from one submission.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Why a submission cannot be read at all (it still gets its row, with 0).
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("cannot read {path}: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{0} is neither a folder, a .zip nor a .tar.gz")]
    UnknownKind(PathBuf),
    #[error("{path} holds more than {limit} bytes of Rust source; nothing was graded")]
    TooLarge { path: PathBuf, limit: u64 },
}

/// The Rust files of a submission, by their path inside it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: BTreeMap<PathBuf, String>,
}

/// The student's name for a submission: the file or folder name without
/// `.zip` / `.tar.gz` / `.tgz`.
pub fn student_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "submission".into());
    for ext in [".tar.gz", ".tgz", ".zip"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

/// Whether `path` looks like a submission (a folder or a known archive).
pub fn is_submission(path: &Path) -> bool {
    let name = path.to_string_lossy();
    path.is_dir() || name.ends_with(".zip") || name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// Reads the Rust files of a folder or archive (symbolic links, `target/` and
/// `.git/` are skipped; archive entries that would leave the archive are ignored).
pub fn read_sources(path: &Path) -> Result<Sources, SubmissionError> {
    let unreadable = |e: &dyn std::fmt::Display| SubmissionError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let name = path.to_string_lossy();
    let mut budget = Budget {
        path,
        left: MAX_TOTAL_BYTES,
    };
    let mut files = BTreeMap::new();
    if path.is_dir() {
        read_folder(path, Path::new(""), &mut files, &mut budget, 0)?;
    } else if name.ends_with(".zip") {
        let file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| unreadable(&e))?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| unreadable(&e))?;
            let Some(rel) = entry.enclosed_name().map(Path::to_path_buf) else {
                continue;
            };
            if !entry.is_file() || !wanted(&rel) || entry.size() > MAX_FILE_BYTES {
                continue;
            }
            let text = budget.read(&mut entry)?;
            files.insert(rel, text);
        }
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        let file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for entry in tar.entries().map_err(|e| unreadable(&e))? {
            let mut entry = entry.map_err(|e| unreadable(&e))?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let Ok(rel) = entry.path().map(|p| p.into_owned()) else {
                continue;
            };
            let size = entry.header().size().unwrap_or(u64::MAX);
            if !enclosed(&rel) || !wanted(&rel) || size > MAX_FILE_BYTES {
                continue;
            }
            let text = budget.read(&mut entry)?;
            files.insert(rel, text);
        }
    } else {
        return Err(SubmissionError::UnknownKind(path.to_path_buf()));
    }
    Ok(Sources { files })
}

struct Budget<'a> {
    path: &'a Path,
    left: u64,
}

impl Budget<'_> {
    fn read(&mut self, r: &mut dyn Read) -> Result<String, SubmissionError> {
        let mut bytes = Vec::new();
        r.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| SubmissionError::Unreadable {
                path: self.path.to_path_buf(),
                message: e.to_string(),
            })?;
        let n = bytes.len() as u64;
        if n > self.left {
            return Err(SubmissionError::TooLarge {
                path: self.path.to_path_buf(),
                limit: MAX_TOTAL_BYTES,
            });
        }
        self.left -= n;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A relative path with only normal components (no `..`, no root).
fn enclosed(p: &Path) -> bool {
    p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// A Rust file outside build outputs and history.
fn wanted(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rs")
        && !p
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("target" | ".git")))
}

fn read_folder(
    root: &Path,
    rel: &Path,
    files: &mut BTreeMap<PathBuf, String>,
    budget: &mut Budget<'_>,
    depth: usize,
) -> Result<(), SubmissionError> {
    if depth > 24 {
        return Ok(());
    }
    let dir = root.join(rel);
    let entries = std::fs::read_dir(&dir).map_err(|e| SubmissionError::Unreadable {
        path: dir.clone(),
        message: e.to_string(),
    })?;
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(kind) = e.file_type() else { continue };
        let rel = rel.join(e.file_name());
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            if !matches!(e.file_name().to_str(), Some("target" | ".git")) {
                read_folder(root, &rel, files, budget, depth + 1)?;
            }
        } else if kind.is_file() && wanted(&rel) {
            if e.metadata().map_or(true, |m| m.len() > MAX_FILE_BYTES) {
                continue;
            }
            let mut f =
                std::fs::File::open(e.path()).map_err(|err| SubmissionError::Unreadable {
                    path: e.path(),
                    message: err.to_string(),
                })?;
            let text = budget.read(&mut f)?;
            files.insert(rel, text);
        }
    }
    Ok(())
}

/// Where the reference's exercises are: file → the ids of its regions, in
/// order (an id may have several regions in one file).
pub type Layout = BTreeMap<PathBuf, Vec<String>>;

/// What the grader takes from a submission.
#[derive(Debug, Clone, Default)]
pub struct Taken {
    /// (reference file, exercise id) → the text of each of its regions there.
    pub texts: BTreeMap<(PathBuf, String), Vec<String>>,
    /// Exercise id → why its regions were not taken (it scores 0).
    pub problems: BTreeMap<String, Vec<String>>,
    /// The folder inside the submission that matched the reference's layout.
    pub root: Option<PathBuf>,
    /// SHA-256 of what was taken (the region texts and the problems).
    pub hash: String,
}

impl Taken {
    /// The ids with a region taken in every file the reference has it.
    pub fn complete(&self, id: &str) -> bool {
        !self.problems.contains_key(id) && self.texts.keys().any(|(_, i)| i == id)
    }
}

/// The prefix inside `sources` under which most of the reference's exercise
/// files are found (a submission packed as `alice/crates/...` has `alice`).
fn find_root(sources: &Sources, layout: &Layout) -> Option<PathBuf> {
    let mut hits: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for f in sources.files.keys() {
        for rf in layout.keys().filter(|rf| f.ends_with(rf)) {
            let n = f.components().count() - rf.components().count();
            let root: PathBuf = f.components().take(n).collect();
            *hits.entry(root).or_default() += 1;
        }
    }
    hits.into_iter()
        .max_by(|(a, x), (b, y)| {
            x.cmp(y)
                .then(b.components().count().cmp(&a.components().count()))
        })
        .map(|(root, _)| root)
}

/// Takes the regions of `sources` that match the reference's `layout`:
/// the same files, each exercise with as many well-formed regions as the
/// reference has there, every region passing [`check_region`].
pub fn take(sources: &Sources, layout: &Layout, known_ids: &BTreeSet<String>) -> Taken {
    let mut taken = Taken::default();
    let problem = |taken: &mut Taken, id: &str, why: String| {
        taken.problems.entry(id.to_string()).or_default().push(why);
    };
    let Some(root) = find_root(sources, layout) else {
        for id in layout.values().flatten().collect::<BTreeSet<_>>() {
            problem(
                &mut taken,
                id,
                "no file of the submission is where the exercises are (is it a dl-labs workspace?)"
                    .into(),
            );
        }
        taken.hash = hash(&taken);
        return taken;
    };
    for (rf, ids) in layout {
        let want: BTreeMap<&str, usize> = ids.iter().fold(BTreeMap::new(), |mut m, id| {
            *m.entry(id.as_str()).or_default() += 1;
            m
        });
        let Some(text) = sources.files.get(&root.join(rf)) else {
            for id in want.keys() {
                problem(&mut taken, id, format!("{} is missing", rf.display()));
            }
            continue;
        };
        let found = markers::find(text);
        for (&id, &n) in &want {
            if let Some(p) = found.problems.get(id) {
                problem(&mut taken, id, format!("{}: {p}", rf.display()));
                continue;
            }
            let regions = found.of(id);
            if regions.len() != n {
                problem(
                    &mut taken,
                    id,
                    format!(
                        "{}: {} marked region(s) of exercise({id}), the reference has {n}",
                        rf.display(),
                        regions.len()
                    ),
                );
                continue;
            }
            let mut refused: Vec<Refusal> = Vec::new();
            for (r, body) in &regions {
                refused.extend(check_region(body, r.begin + 1));
            }
            if !refused.is_empty() {
                for r in refused {
                    problem(
                        &mut taken,
                        id,
                        format!("{}:{}: refused: {}", rf.display(), r.line, r.what),
                    );
                }
                continue;
            }
            taken.texts.insert(
                (rf.clone(), id.to_string()),
                regions.iter().map(|(_, b)| b.clone()).collect(),
            );
        }
        // Markers of an exercise that the reference has elsewhere (or moved here).
        for (r, _) in &found.regions {
            if !want.contains_key(r.id.as_str()) && known_ids.contains(&r.id) {
                problem(
                    &mut taken,
                    &r.id,
                    format!(
                        "{}:{}: exercise({}) is not in this file in the reference",
                        rf.display(),
                        r.begin,
                        r.id
                    ),
                );
            }
        }
    }
    // An exercise with a problem in one file is not taken anywhere.
    let bad: BTreeSet<String> = taken.problems.keys().cloned().collect();
    taken.texts.retain(|(_, id), _| !bad.contains(id));
    taken.root = Some(root);
    taken.hash = hash(&taken);
    taken
}

fn hash(t: &Taken) -> String {
    let mut h = Sha256::new();
    for ((f, id), texts) in &t.texts {
        h.update(f.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(id.as_bytes());
        for x in texts {
            h.update([1]);
            h.update(x.as_bytes());
        }
        h.update([2]);
    }
    for (id, why) in &t.problems {
        h.update(id.as_bytes());
        for w in why {
            h.update([3]);
            h.update(w.as_bytes());
        }
    }
    hex(&h.finalize())
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        let mut l = Layout::new();
        l.insert(
            PathBuf::from("crates/m/src/lib.rs"),
            vec!["m.a".into(), "m.b".into()],
        );
        l.insert(
            PathBuf::from("crates/n/src/x.rs"),
            vec!["n.c".into(), "n.c".into()],
        );
        l
    }

    fn ids() -> BTreeSet<String> {
        ["m.a", "m.b", "n.c"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn sources(prefix: &str, m: &str, n: &str) -> Sources {
        let mut s = Sources::default();
        s.files.insert(
            PathBuf::from(format!("{prefix}crates/m/src/lib.rs")),
            m.into(),
        );
        s.files.insert(
            PathBuf::from(format!("{prefix}crates/n/src/x.rs")),
            n.into(),
        );
        s.files.insert(
            PathBuf::from(format!("{prefix}crates/m/tests/t.rs")),
            "fn t() {}".into(),
        );
        s
    }

    const M: &str = "fn a() -> u8 {\n// exercise(m.a) begin\n1\n// exercise(m.a) end\n}\nfn b() {\n// exercise(m.b) begin\nstd::process::exit(0)\n// exercise(m.b) end\n}\n";
    const N: &str = "// exercise(n.c) begin\n2\n// exercise(n.c) end\n// exercise(n.c) begin\n3\n// exercise(n.c) end\n";

    #[test]
    fn regions_are_taken_under_the_matching_root_and_checked() {
        let t = take(&sources("alice/", M, N), &layout(), &ids());
        assert_eq!(t.root, Some(PathBuf::from("alice")));
        assert_eq!(
            t.texts[&(PathBuf::from("crates/m/src/lib.rs"), "m.a".into())],
            ["1"]
        );
        assert_eq!(
            t.texts[&(PathBuf::from("crates/n/src/x.rs"), "n.c".into())],
            ["2", "3"]
        );
        assert!(t.complete("m.a") && t.complete("n.c") && !t.complete("m.b"));
        let why = &t.problems["m.b"][0];
        assert!(
            why.contains("lib.rs:8: refused") && why.contains("process"),
            "{why}"
        );
        // The hash follows what was taken, not where the folder was.
        assert_eq!(t.hash, take(&sources("", M, N), &layout(), &ids()).hash);
        assert_ne!(
            t.hash,
            take(
                &sources("", &M.replace("\n1\n", "\n2\n"), N),
                &layout(),
                &ids()
            )
            .hash
        );
    }

    #[test]
    fn missing_or_miscounted_markers_cost_that_exercise_only() {
        let one_c = "// exercise(n.c) begin\n2\n// exercise(n.c) end\n";
        let t = take(&sources("", M, one_c), &layout(), &ids());
        assert!(
            t.problems["n.c"][0].contains("1 marked region(s)"),
            "{:?}",
            t.problems
        );
        assert!(t.complete("m.a"));
        // Markers removed from a file: its exercises are missing there.
        let t = take(&sources("", "fn a() -> u8 { 1 }", N), &layout(), &ids());
        assert!(t.problems["m.a"][0].contains("0 marked region(s)"));
        // A file that is not there.
        let mut s = sources("", M, N);
        s.files.remove(Path::new("crates/n/src/x.rs"));
        let t = take(&s, &layout(), &ids());
        assert!(t.problems["n.c"][0].contains("is missing"));
        // An exercise's markers moved into another file.
        let moved = format!("{M}// exercise(n.c) begin\n9\n// exercise(n.c) end\n");
        let t = take(&sources("", &moved, N), &layout(), &ids());
        assert!(
            t.problems["n.c"][0].contains("not in this file"),
            "{:?}",
            t.problems
        );
        assert!(!t.texts.keys().any(|(_, id)| id == "n.c"));
        // Nothing that looks like the workspace.
        let mut s = Sources::default();
        s.files
            .insert(PathBuf::from("main.rs"), "fn main() {}".into());
        let t = take(&s, &layout(), &ids());
        assert_eq!(t.problems.len(), 3);
        assert!(t.root.is_none());
    }

    #[test]
    fn archives_and_folders_give_the_same_sources() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("alice");
        for (rel, text) in [
            ("crates/m/src/lib.rs", M),
            ("crates/n/src/x.rs", N),
            ("README.md", "hi"),
        ] {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::create_dir_all(dir.join("target/debug")).unwrap();
        std::fs::write(dir.join("target/debug/junk.rs"), "x").unwrap();
        let folder = read_sources(&dir).unwrap();
        assert_eq!(folder.files.len(), 2, "{:?}", folder.files.keys());
        // .tar.gz with the folder inside, and an entry that tries to leave it.
        let tgz = tmp.path().join("alice.tar.gz");
        {
            let f = std::fs::File::create(&tgz).unwrap();
            let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
                f,
                flate2::Compression::fast(),
            ));
            b.append_dir_all("alice", &dir).unwrap();
            let mut h = tar::Header::new_gnu();
            let evil = b"fn evil() {}";
            h.set_size(evil.len() as u64);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(0o644);
            // `set_path` refuses `..`; write the name field directly.
            h.as_old_mut().name[..12].copy_from_slice(b"../../evil.r");
            h.as_old_mut().name[12] = b's';
            h.set_cksum();
            b.append(&h, &evil[..]).unwrap();
            b.into_inner().unwrap().finish().unwrap();
        }
        let t = read_sources(&tgz).unwrap();
        assert_eq!(t.files.len(), 2, "{:?}", t.files.keys());
        assert!(t.files.keys().all(|k| k.starts_with("alice")));
        // .zip
        let zpath = tmp.path().join("bob.zip");
        {
            let f = std::fs::File::create(&zpath).unwrap();
            let mut z = zip::ZipWriter::new(f);
            let opts = zip::write::FileOptions::default();
            z.start_file("bob/crates/m/src/lib.rs", opts).unwrap();
            std::io::Write::write_all(&mut z, M.as_bytes()).unwrap();
            z.start_file("../escape.rs", opts).unwrap();
            std::io::Write::write_all(&mut z, b"x").unwrap();
            z.finish().unwrap();
        }
        let z = read_sources(&zpath).unwrap();
        assert_eq!(
            z.files.keys().collect::<Vec<_>>(),
            [Path::new("bob/crates/m/src/lib.rs")]
        );
        assert_eq!(student_name(&zpath), "bob");
        assert_eq!(student_name(&tgz), "alice");
        // Broken archives are errors, not panics.
        let bad = tmp.path().join("carol.zip");
        std::fs::write(&bad, b"not a zip").unwrap();
        assert!(matches!(
            read_sources(&bad),
            Err(SubmissionError::Unreadable { .. })
        ));
        let bad = tmp.path().join("dave.tar.gz");
        std::fs::write(&bad, b"\x1f\x8bnot gzip").unwrap();
        assert!(read_sources(&bad).is_err());
        assert!(matches!(
            read_sources(&tmp.path().join("x.txt")),
            Err(SubmissionError::UnknownKind(_))
        ));
    }
}
