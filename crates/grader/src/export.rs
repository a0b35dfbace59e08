//! The student release: the workspace's files (as git lists them: no build
//! outputs, results, data or history), with the marked exercises blanked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::markers::{self, Fill, Region};
use crate::table::Table;
use crate::GraderError;

/// Written at the top of a release, so that a later export may update it.
pub const STAMP: &str = ".student-release";

/// Written at the top of a workspace exported for grading, likewise.
pub const GRADING_STAMP: &str = ".graded-export";

/// The version suffix of the release's crates. Their build outputs then get
/// other names than the reference's, so both can share one target folder
/// (and its compiled dependencies) without ever mixing up their code.
pub const VERSION_SUFFIX: &str = "-student";

/// Into what kind of folder the release may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A new or empty folder only (what `./dl student` does).
    New,
    /// Also a folder holding an earlier release: files are rewritten only
    /// where their content changes, so cargo rebuilds only what changed.
    Update,
}

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    pub files: usize,
    /// Files rewritten because their content changed.
    pub changed: usize,
    /// Exercise ids blanked, and how many regions each had.
    pub blanked: BTreeMap<String, usize>,
    /// Exercise ids kept with the reference code.
    pub kept: BTreeSet<String>,
}

/// The line of a release's stamp after which its files are listed.
const FILES_HEADER: &str = "files:";

/// The workspace's files, relative to `root`: tracked and untracked ones
/// that git does not ignore, and that still exist. A student release that
/// is not a git checkout lists its files in its stamp instead.
pub fn workspace_files(root: &Path) -> Result<Vec<PathBuf>, GraderError> {
    let is_repo = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !is_repo {
        if let Ok(stamp) = std::fs::read_to_string(root.join(STAMP)) {
            let mut files: Vec<PathBuf> = stamp
                .lines()
                .skip_while(|l| *l != FILES_HEADER)
                .skip(1)
                .map(PathBuf::from)
                .filter(|p| root.join(p).is_file())
                .collect();
            files.sort();
            files.dedup();
            return Ok(files);
        }
    }
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| GraderError::Command {
            command: "git ls-files".into(),
            message: format!("{e} (is git installed?)"),
        })?;
    if !out.status.success() {
        return Err(GraderError::Command {
            command: "git ls-files".into(),
            message: format!(
                "{} (grade from the instructor's copy, a git clone of dl-labs, or from a \
                 student release written by `./dl student`)",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    let mut files: Vec<PathBuf> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| PathBuf::from(String::from_utf8_lossy(s).into_owned()))
        .filter(|p| root.join(p).is_file())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// What an export writes besides the reference's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The student release: hidden tests replaced by a stub, the files of
    /// `[export] exclude` left out, a release stamp written.
    Release,
    /// A workspace to grade: every file of the reference, hidden tests included.
    Grading,
}

/// How to write an export.
pub struct Plan<'a> {
    pub purpose: Purpose,
    /// The inside of each region: (file, region, index among that id's regions in the file).
    pub fill: &'a dyn Fn(&Path, &Region, usize) -> Fill,
    /// Added to the versions of the export's crates (`0.1.0` → `0.1.0<suffix>`),
    /// so that their build outputs never share names with another content's.
    pub versions: &'a Versions,
    pub mode: Destination,
}

impl std::fmt::Debug for Plan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("purpose", &self.purpose)
            .field("versions", &self.versions)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The version suffixes of an export's crates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    /// Added to the workspace version (every crate that inherits it).
    pub workspace: String,
    /// Crate (folder under `crates/`, which is also its package name) → its
    /// own suffix, written into its manifest instead of the inherited version.
    pub crates: BTreeMap<String, String>,
}

impl Versions {
    /// One suffix for every crate.
    pub fn all(suffix: &str) -> Versions {
        Versions {
            workspace: suffix.to_string(),
            crates: BTreeMap::new(),
        }
    }
}

/// What the student release's stub of a hidden-tests file says.
pub const HIDDEN_STUB: &str = "// The instructor's hidden tests of this crate go here. They are not part of\n// the student release; `./dl grade` runs them when grading a submission.\n";

/// Whether `rel` is a crate's hidden-tests file (`crates/<c>/src/hidden_tests.rs`).
pub fn is_hidden_tests(rel: &Path) -> bool {
    rel.file_name()
        .is_some_and(|n| n == format!("{}.rs", crate::table::HIDDEN_MODULE).as_str())
        && rel
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == "src")
}

/// Writes the student release of the workspace at `root` into `dest`:
/// every exercise not in `keep` blanked (the release proper keeps none).
pub fn export(
    root: &Path,
    dest: &Path,
    table: &Table,
    keep: &BTreeSet<String>,
    mode: Destination,
) -> Result<Exported, GraderError> {
    let fill = |_: &Path, r: &Region, _: usize| {
        if keep.contains(&r.id) {
            Fill::Keep
        } else {
            Fill::Todo
        }
    };
    export_with(
        root,
        dest,
        table,
        &Plan {
            purpose: Purpose::Release,
            fill: &fill,
            versions: &Versions::all(VERSION_SUFFIX),
            mode,
        },
    )
}

/// Writes an export of the workspace at `root` into `dest` as `plan` says.
pub fn export_with(
    root: &Path,
    dest: &Path,
    table: &Table,
    plan: &Plan<'_>,
) -> Result<Exported, GraderError> {
    check_destination(root, dest, plan.mode)?;
    let files = workspace_files(root)?;
    let excluded: Vec<PathBuf> = match plan.purpose {
        Purpose::Release => table.export.exclude.iter().map(PathBuf::from).collect(),
        Purpose::Grading => Vec::new(),
    };
    let task = |id: &str| table.get(id).map(|a| a.task.clone());
    let mut report = Exported::default();
    let mut written: Vec<&Path> = Vec::new();
    // A file, or a folder and everything under it (compared by components).
    let is_excluded = |f: &Path| excluded.iter().any(|e| f.starts_with(e));
    for rel in files.iter().filter(|f| !is_excluded(f)) {
        let src = root.join(rel);
        let bytes = std::fs::read(&src).map_err(|source| GraderError::Read {
            path: src.clone(),
            source,
        })?;
        let content = if plan.purpose == Purpose::Release && is_hidden_tests(rel) {
            HIDDEN_STUB.as_bytes().to_vec()
        } else if rel.extension().is_some_and(|e| e == "rs") {
            let text = String::from_utf8_lossy(&bytes);
            let fill = |r: &Region, k: usize| (plan.fill)(rel, r, k);
            let (out, regions) = markers::splice(&text, rel, &fill, &task)?;
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for r in regions {
                let k = seen.entry(r.id.clone()).or_default();
                if (plan.fill)(rel, &r, *k) == Fill::Todo {
                    *report.blanked.entry(r.id.clone()).or_default() += 1;
                } else {
                    report.kept.insert(r.id.clone());
                }
                *k += 1;
            }
            out.into_bytes()
        } else if rel == Path::new("Cargo.toml") {
            student_manifest(
                &String::from_utf8_lossy(&bytes),
                rel,
                &plan.versions.workspace,
            )?
            .into_bytes()
        } else if rel == Path::new("Cargo.lock") {
            let base = workspace_version(
                &std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default(),
            );
            student_lock(&String::from_utf8_lossy(&bytes), &|name: &str| match plan
                .versions
                .crates
                .get(name)
            {
                Some(s) => format!("{base}{s}"),
                None => format!("{base}{}", plan.versions.workspace),
            })
            .into_bytes()
        } else if let Some(suffix) =
            crate_manifest_of(rel).and_then(|c| plan.versions.crates.get(c))
        {
            let base = workspace_version(
                &std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default(),
            );
            own_version(
                &String::from_utf8_lossy(&bytes),
                rel,
                &format!("{base}{suffix}"),
            )?
            .into_bytes()
        } else {
            bytes
        };
        let dst = dest.join(rel);
        if write_if_changed(&dst, &content)? {
            report.changed += 1;
            // Scripts such as ./dl stay executable.
            if let Ok(meta) = std::fs::metadata(&src) {
                std::fs::set_permissions(&dst, meta.permissions()).map_err(|source| {
                    GraderError::Write {
                        path: dst.clone(),
                        source,
                    }
                })?;
            }
        }
        report.files += 1;
        written.push(rel);
    }
    // An exercise is blanked if any of its regions is.
    report.kept.retain(|id| !report.blanked.contains_key(id));
    for a in &table.assignments {
        if !report.blanked.contains_key(&a.id) && !report.kept.contains(&a.id) {
            return Err(GraderError::UnmarkedAssignment { id: a.id.clone() });
        }
    }
    // The machine's libtorch set-up (git-ignored), so that `cargo build`
    // works in the export right away; `./dl setup` there writes it anew.
    let config = root.join(".cargo/config.toml");
    if config.is_file() {
        let bytes = std::fs::read(&config).map_err(|source| GraderError::Read {
            path: config.clone(),
            source,
        })?;
        write_if_changed(&dest.join(".cargo/config.toml"), &bytes)?;
    }
    match plan.purpose {
        Purpose::Release => {
            let mut stamp = format!(
                "A student release of dl-labs, written by `./dl student`.\n{FILES_HEADER}\n"
            );
            for rel in &written {
                stamp.push_str(&rel.to_string_lossy());
                stamp.push('\n');
            }
            write_if_changed(&dest.join(STAMP), stamp.as_bytes())?
        }
        Purpose::Grading => write_if_changed(
            &dest.join(GRADING_STAMP),
            b"A workspace exported by the grader: the reference with a submission's exercises.\n",
        )?,
    };
    Ok(report)
}

fn check_destination(root: &Path, dest: &Path, mode: Destination) -> Result<(), GraderError> {
    let (root_abs, dest_abs) = (normalized(root), normalized(dest));
    // Inside the workspace only where git ignores it (a target folder, say):
    // anywhere else the next export would copy the release into itself.
    if dest_abs.starts_with(&root_abs) && !git_ignores(&root_abs, &dest_abs) {
        return Err(GraderError::DestinationInside(dest.to_path_buf()));
    }
    let Ok(mut entries) = std::fs::read_dir(dest) else {
        return Ok(()); // does not exist yet
    };
    let empty = entries.next().is_none();
    let earlier_release = dest.join(STAMP).is_file() || dest.join(GRADING_STAMP).is_file();
    if empty || (mode == Destination::Update && earlier_release) {
        Ok(())
    } else {
        Err(GraderError::DestinationNotEmpty(dest.to_path_buf()))
    }
}

/// Whether git, in the repository at `root`, ignores `path`.
fn git_ignores(root: &Path, path: &Path) -> bool {
    Command::new("git")
        .arg("check-ignore")
        .arg("-q")
        .arg(path)
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `p` made absolute with `.` and `..` resolved by name (`a/b/../c` is `a/c`),
/// so that `ref/../student` is seen to lie outside `ref`.
pub fn normalized(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The root manifest with `suffix` added to the workspace version.
fn student_manifest(text: &str, path: &Path, suffix: &str) -> Result<String, GraderError> {
    let mut section = "";
    let mut done = false;
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            section = if t == "[workspace.package]" { "wp" } else { "" };
        }
        if section == "wp" && !done && t.starts_with("version") {
            if let Some((key, value)) = line.split_once('=') {
                let v = value.trim().trim_matches('"');
                out.push_str(&format!("{key}= \"{v}{suffix}\"\n"));
                done = true;
                continue;
            }
        }
        out.push_str(line);
    }
    if !done {
        return Err(GraderError::BadTable {
            path: path.to_path_buf(),
            message: "no `version = \"…\"` under [workspace.package]".into(),
        });
    }
    Ok(out)
}

/// The lock file with each workspace package (the ones without a `source`)
/// at the version `version(name)` gives, as cargo would write it for the export.
fn student_lock(text: &str, version: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 512);
    for (k, block) in text.split("[[package]]").enumerate() {
        if k > 0 {
            out.push_str("[[package]]");
        }
        if k == 0 || block.contains("\nsource = ") {
            out.push_str(block);
            continue;
        }
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|n| n.strip_suffix('"'))
            .unwrap_or_default()
            .to_string();
        let mut done = false;
        for line in block.split_inclusive('\n') {
            match line
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix("\"\n"))
            {
                Some(_) if !done => {
                    out.push_str(&format!("version = \"{}\"\n", version(&name)));
                    done = true;
                }
                _ => out.push_str(line),
            }
        }
    }
    out
}

/// `crates/<c>/Cargo.toml` → `c`.
fn crate_manifest_of(rel: &Path) -> Option<&str> {
    let mut c = rel.components();
    let (Some(a), Some(b), Some(m), None) = (c.next(), c.next(), c.next(), c.next()) else {
        return None;
    };
    (a.as_os_str() == "crates" && m.as_os_str() == "Cargo.toml").then(|| b.as_os_str().to_str())?
}

/// The `version` under `[workspace.package]` of a root manifest (`0.1.0` when absent).
pub fn workspace_version(text: &str) -> String {
    let mut section = "";
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t;
        } else if section == "[workspace.package]" {
            if let Some(v) = t
                .strip_prefix("version")
                .and_then(|r| r.trim().strip_prefix('='))
            {
                return v.trim().trim_matches('"').to_string();
            }
        }
    }
    "0.1.0".into()
}

/// A crate manifest with `version.workspace = true` replaced by `version = "<version>"`.
fn own_version(text: &str, path: &Path, version: &str) -> Result<String, GraderError> {
    let mut done = false;
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        if !done && line.trim().replace(' ', "") == "version.workspace=true" {
            out.push_str(&format!("version = \"{version}\"\n"));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    if !done {
        return Err(GraderError::BadTable {
            path: path.to_path_buf(),
            message: "no `version.workspace = true` line under [package]".into(),
        });
    }
    Ok(out)
}

/// Writes `content` to `path` (atomically) unless it already holds exactly
/// that; keeps the old file's time stamp then. Returns whether it wrote.
fn write_if_changed(path: &Path, content: &[u8]) -> Result<bool, GraderError> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    labkit::write_atomically(path, |tmp| {
        std::fs::write(tmp, content).map_err(|source| GraderError::Write {
            path: tmp.to_path_buf(),
            source,
        })
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_version_gets_the_student_suffix() {
        let text = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2021\"\nversion = \"0.1.0\"\n\n[package]\nversion.workspace = true\n";
        let out = student_manifest(text, Path::new("Cargo.toml"), VERSION_SUFFIX).unwrap();
        assert!(out.contains("\nversion = \"0.1.0-student\"\n"), "{out}");
        assert!(out.contains("version.workspace = true"));
        assert_eq!(out.matches("student").count(), 1);
        assert!(student_manifest(
            "[package]\nversion = \"1\"\n",
            Path::new("Cargo.toml"),
            "-x"
        )
        .is_err());
    }

    #[test]
    fn the_lock_file_gets_the_suffix_on_workspace_packages_only() {
        let lock = "version = 4\n\n[[package]]\nname = \"anyhow\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n\n[[package]]\nname = \"data\"\nversion = \"0.1.0\"\ndependencies = [\n \"anyhow\",\n]\n";
        let out = student_lock(lock, &|name| format!("0.1.0-{name}"));
        assert_eq!(
            out,
            lock.replace(
                "name = \"data\"\nversion = \"0.1.0\"",
                "name = \"data\"\nversion = \"0.1.0-data\""
            )
        );
        assert_eq!(out.matches("0.1.0-").count(), 1);
        // A crate manifest gets a version of its own.
        let m = "[package]\nname = \"data\"\nversion.workspace = true\n";
        assert_eq!(
            own_version(m, Path::new("x"), "0.1.0-g1").unwrap(),
            "[package]\nname = \"data\"\nversion = \"0.1.0-g1\"\n"
        );
        assert!(own_version("[package]\n", Path::new("x"), "1").is_err());
        assert_eq!(
            crate_manifest_of(Path::new("crates/data/Cargo.toml")),
            Some("data")
        );
        assert_eq!(
            crate_manifest_of(Path::new("crates/data/src/Cargo.toml")),
            None
        );
        assert_eq!(
            workspace_version("[workspace.package]\nversion = \"0.2.0\"\n"),
            "0.2.0"
        );
    }

    #[test]
    fn only_new_or_empty_folders_or_earlier_releases_are_written() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ref");
        std::fs::create_dir(&root).unwrap();
        let fresh = tmp.path().join("fresh");
        assert!(check_destination(&root, &fresh, Destination::New).is_ok());
        std::fs::create_dir(&fresh).unwrap();
        assert!(check_destination(&root, &fresh, Destination::New).is_ok());
        std::fs::write(fresh.join("work.rs"), "mine").unwrap();
        assert!(matches!(
            check_destination(&root, &fresh, Destination::Update),
            Err(GraderError::DestinationNotEmpty(_))
        ));
        std::fs::write(fresh.join(STAMP), "").unwrap();
        assert!(check_destination(&root, &fresh, Destination::Update).is_ok());
        assert!(matches!(
            check_destination(&root, &fresh, Destination::New),
            Err(GraderError::DestinationNotEmpty(_))
        ));
        assert!(matches!(
            check_destination(&root, &root.join("student"), Destination::New),
            Err(GraderError::DestinationInside(_))
        ));
        assert!(matches!(
            check_destination(&root, &root.join("a/../b"), Destination::New),
            Err(GraderError::DestinationInside(_))
        ));
        let beside = root.join("../student");
        assert!(check_destination(&root, &beside, Destination::New).is_ok());
        // In a git checkout, an ignored folder inside it is fine.
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(&root)
                .output()
                .unwrap()
        };
        if git(&["init", "-q"]).status.success() {
            std::fs::write(root.join(".gitignore"), "/target/\n").unwrap();
            std::fs::create_dir(root.join("target")).unwrap();
            let inside = root.join("target/student-release");
            assert!(check_destination(&root, &inside, Destination::New).is_ok());
            assert!(matches!(
                check_destination(&root, &root.join("student"), Destination::New),
                Err(GraderError::DestinationInside(_))
            ));
        }
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a/b.txt");
        assert!(write_if_changed(&p, b"one").unwrap());
        assert!(!write_if_changed(&p, b"one").unwrap());
        assert!(write_if_changed(&p, b"two").unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
    }
}
