//! Grading one submission from the instructor's copy.
//!
//! 1. Read the submission's Rust files; take the text between each pair of
//!    exercise markers and check it ([`crate::submission`], [`crate::check`]).
//! 2. Export the reference (its tests, hidden ones included, its manifests,
//!    build scripts and every line outside the markers) with the taken
//!    regions spliced in; exercises not taken get `todo!`.
//! 3. Build the graded crates' unit tests in the sandbox, in a target folder
//!    of the submission's own that links the reference's compiled
//!    dependencies; the export's crates carry a version of their own
//!    (derived from what was taken), so no other build of them is reused.
//! 4. Run every test that the table lists, each in the sandbox with a time
//!    limit; a listed test that did not run counts as failed.
//! 5. Score: points × passed / listed, and 0 for an exercise whose regions
//!    were not taken.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::{build_tests, link_shared_target, CrateBuild, Executable};
use crate::export::{export_with, workspace_files, Destination, Plan, Purpose, STAMP};
use crate::markers::{self, Fill, Region};
use crate::run::{list_tests, run_all, scratch_of, Outcome, TestResult};
use crate::sandbox::Sandbox;
use crate::submission::{hex, read_sources, student_name, take, Layout, Taken};
use crate::table::{Table, HIDDEN_MODULE};
use crate::GraderError;

/// The instructor's copy: the workspace grading is done from.
#[derive(Debug, Clone)]
pub struct Reference {
    pub root: PathBuf,
    pub table: Table,
    /// Where the exercises are, file by file.
    pub layout: Layout,
    /// The text of every region, by (file, id).
    pub regions: BTreeMap<(PathBuf, String), Vec<String>>,
    /// SHA-256 over every file of the reference: a change re-grades everyone.
    pub fingerprint: String,
    /// The reference is itself a student release: its hidden tests are stubs.
    pub is_release: bool,
    /// Each crate under `crates/` → the workspace crates it depends on
    /// (normal, dev and build dependencies).
    pub crate_deps: BTreeMap<String, BTreeSet<String>>,
}

impl Reference {
    /// Reads the workspace at `root` (a git checkout with `grading.toml`).
    pub fn load(root: &Path) -> Result<Reference, GraderError> {
        let table = Table::load(root)?;
        let mut layout = Layout::new();
        let mut regions: BTreeMap<(PathBuf, String), Vec<String>> = BTreeMap::new();
        let mut h = Sha256::new();
        for rel in workspace_files(root)? {
            let path = root.join(&rel);
            let bytes = std::fs::read(&path).map_err(|source| GraderError::Read {
                path: path.clone(),
                source,
            })?;
            h.update(rel.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(&bytes);
            h.update([1]);
            if rel.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let found = markers::scan(&text, &rel)?;
            for r in &found {
                if table.get(&r.id).is_none() {
                    return Err(GraderError::Marker {
                        path: rel.clone(),
                        line: r.begin,
                        message: format!("exercise({}) is not an assignment of grading.toml", r.id),
                    });
                }
                // The release puts `todo!()` in a region's place, which only
                // compiles as the tail of a function body.
                let next = text.lines().nth(r.end).unwrap_or("");
                if !next.trim_start().starts_with('}') {
                    return Err(GraderError::Marker {
                        path: rel.clone(),
                        line: r.end,
                        message: format!(
                            "exercise({}) must end its function body: move the end marker to \
                             just before the closing brace (the release puts todo!() in its place)",
                            r.id
                        ),
                    });
                }
                layout.entry(rel.clone()).or_default().push(r.id.clone());
                regions
                    .entry((rel.clone(), r.id.clone()))
                    .or_default()
                    .push(markers::inside(&text, r));
            }
        }
        for a in &table.assignments {
            if !layout.values().flatten().any(|id| *id == a.id) {
                return Err(GraderError::UnmarkedAssignment { id: a.id.clone() });
            }
        }
        let crate_deps = crate_graph(root)?;
        Ok(Reference {
            crate_deps,
            is_release: root.join(STAMP).is_file(),
            root: root.to_path_buf(),
            table,
            layout,
            regions,
            fingerprint: hex(&h.finalize()),
        })
    }

    /// The exercise ids of the table.
    pub fn ids(&self) -> BTreeSet<String> {
        self.table
            .assignments
            .iter()
            .map(|a| a.id.clone())
            .collect()
    }

    /// What a submission holding the reference's own code for the exercises
    /// `filled` (and `todo!` for the rest) gives: the release check's ladder.
    pub fn taken_filled(&self, filled: &BTreeSet<String>) -> Taken {
        let mut t = Taken {
            root: Some(PathBuf::new()),
            ..Taken::default()
        };
        for ((f, id), texts) in &self.regions {
            if filled.contains(id) {
                t.texts.insert((f.clone(), id.clone()), texts.clone());
            }
        }
        t.hash = format!(
            "filled:{}",
            filled.iter().cloned().collect::<Vec<_>>().join(",")
        );
        t
    }
}

/// The workspace crates each crate under `root/crates` depends on.
fn crate_graph(root: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, GraderError> {
    let dir = root.join("crates");
    let entries = std::fs::read_dir(&dir).map_err(|source| GraderError::Read {
        path: dir.clone(),
        source,
    })?;
    let names: BTreeSet<String> = entries
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut graph = BTreeMap::new();
    for c in &names {
        let path = dir.join(c).join("Cargo.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| GraderError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest: toml::Table = text.parse().map_err(|e| GraderError::Table {
            path: path.clone(),
            source: Box::new(e),
        })?;
        let deps: BTreeSet<String> = ["dependencies", "dev-dependencies", "build-dependencies"]
            .iter()
            .filter_map(|k| manifest.get(*k).and_then(|v| v.as_table()))
            .flat_map(|t| t.keys().cloned())
            .filter(|d| names.contains(d))
            .collect();
        graph.insert(c.clone(), deps);
    }
    Ok(graph)
}

impl Reference {
    /// `krate` and every workspace crate it depends on, transitively.
    pub fn closure(&self, krate: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![krate.to_string()];
        while let Some(c) = stack.pop() {
            if seen.insert(c.clone()) {
                stack.extend(self.crate_deps.get(&c).into_iter().flatten().cloned());
            }
        }
        seen
    }

    /// The version suffix of every crate of an export that takes `taken`:
    /// a hash of the reference and of the regions compiled into the crate
    /// (its own and its dependencies'). Two exports give a crate the same
    /// version only when they compile the same code into it; a crate whose
    /// regions are not involved keeps one version for every submission.
    pub fn versions(&self, taken: &Taken) -> crate::export::Versions {
        let region = |f: &PathBuf, id: &String| -> String {
            match taken.texts.get(&(f.clone(), id.clone())) {
                Some(texts) => texts.join("\u{1}"),
                None => "\u{0}todo".into(),
            }
        };
        let mut crates = BTreeMap::new();
        for c in self.crate_deps.keys() {
            let closure = self.closure(c);
            let mut h = Sha256::new();
            h.update(self.fingerprint.as_bytes());
            for (f, ids) in &self.layout {
                let owner = f
                    .components()
                    .nth(1)
                    .map(|x| x.as_os_str().to_string_lossy().into_owned());
                if !owner.is_some_and(|o| closure.contains(&o)) {
                    continue;
                }
                for id in ids.iter().collect::<BTreeSet<_>>() {
                    h.update(f.to_string_lossy().as_bytes());
                    h.update([0]);
                    h.update(id.as_bytes());
                    h.update([0]);
                    h.update(region(f, id).as_bytes());
                    h.update([2]);
                }
            }
            crates.insert(c.clone(), format!("-g{}", &hex(&h.finalize())[..16]));
        }
        let whole = content_hash(self, taken);
        crate::export::Versions {
            workspace: format!("-g{}", &whole[..16]),
            crates,
        }
    }
}

/// Where the submission's crates are built.
#[derive(Debug, Clone)]
pub enum Target {
    /// A new target folder per submission, under its work folder, linking
    /// the compiled dependencies of this (the reference's) target folder.
    Fresh { shared: PathBuf },
    /// This one target folder, and one spliced workspace updated in place
    /// under the work folder, kept between gradings: each step rebuilds only
    /// the crates whose compiled code changed (the release check's ladder).
    /// Crate versions follow their content, so a crate built for another
    /// content is never reused, whatever the file times.
    Reuse(PathBuf),
    /// Like `Reuse`, but every export keeps one fixed version and cargo's own
    /// change detection (file times) decides what to rebuild, so that
    /// rustc's incremental caches stay warm. Only for exports of the
    /// instructor's own code made one after the other (the release check's
    /// ladder): it gives no isolation between submissions.
    Incremental(PathBuf),
}

/// How to grade.
#[derive(Debug, Clone)]
pub struct GradeOptions {
    /// A test still running after this long is stopped and counts as failed.
    pub timeout: Duration,
    /// The build is stopped after this long (its crates score 0).
    pub build_timeout: Duration,
    /// Tests run at once.
    pub jobs: usize,
    /// A process per test (always, for submissions), or shared processes
    /// (the instructor's own code only).
    pub processes: crate::run::Processes,
    pub sandbox: Sandbox,
    /// The folder under which each submission gets its work folder.
    pub work: PathBuf,
    pub target: Target,
    /// Grade only the assignments of these crates (all when `None`).
    pub only: Option<BTreeSet<String>>,
    /// Keep the work folder (the spliced workspace and its build) afterwards.
    pub keep_work: bool,
    /// Grade even where results for the same content hash exist.
    pub regrade: bool,
    /// Print progress on stderr.
    pub verbose: bool,
}

impl GradeOptions {
    /// Defaults for grading from the reference at `root`: its target folder
    /// shared, work folders under `<target>/grading`.
    pub fn new(root: &Path, sandbox: Sandbox) -> GradeOptions {
        let target = crate::compile::default_target(root);
        GradeOptions {
            timeout: Duration::from_secs(300),
            build_timeout: Duration::from_secs(1800),
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            processes: crate::run::Processes::OnePerTest,
            sandbox: sandbox.showing(&[root, &target]),
            work: target.join("grading"),
            target: Target::Fresh { shared: target },
            only: None,
            keep_work: false,
            regrade: false,
            verbose: true,
        }
    }
}

/// The score of one assignment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Score {
    pub id: String,
    pub passed: usize,
    /// The tests the table lists for it (hidden ones included).
    pub total: usize,
    pub points: f64,
    pub max_points: f64,
    pub note: Option<String>,
}

/// The grading of one submission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grades {
    pub student: String,
    pub submission: PathBuf,
    /// Identifies what was graded: the reference and the regions taken.
    pub hash: String,
    pub scores: Vec<Score>,
    pub points: f64,
    pub max_points: f64,
    /// Why exercises were not taken from the submission.
    pub problems: BTreeMap<String, Vec<String>>,
    /// Why nothing could be graded (an unreadable archive, say).
    pub error: Option<String>,
    pub builds: Vec<CrateBuild>,
    pub tests: Vec<TestResult>,
    pub sandbox: String,
    pub seconds: f64,
}

impl Grades {
    /// The score of assignment `id`.
    pub fn score(&self, id: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.id == id)
    }

    /// Whether test `name` of `krate` is a hidden one.
    pub fn is_hidden(name: &str) -> bool {
        name.starts_with(&format!("{HIDDEN_MODULE}::"))
    }
}

/// The hash that names what is graded: the reference and the taken regions.
pub fn content_hash(reference: &Reference, taken: &Taken) -> String {
    let mut h = Sha256::new();
    h.update(reference.fingerprint.as_bytes());
    h.update([0]);
    h.update(taken.hash.as_bytes());
    hex(&h.finalize())
}

/// What a submission at `path` gives when read and taken (no build yet):
/// its name, the regions, and the hash of what would be graded.
pub fn prepare(reference: &Reference, path: &Path) -> (String, Result<Taken, String>) {
    let name = student_name(path);
    let taken = read_sources(path)
        .map(|s| take(&s, &reference.layout, &reference.ids()))
        .map_err(|e| e.to_string());
    (name, taken)
}

/// Grades the submission at `path` (a folder, `.zip` or `.tar.gz`).
pub fn grade_path(
    reference: &Reference,
    path: &Path,
    opts: &GradeOptions,
) -> Result<Grades, GraderError> {
    let (name, taken) = prepare(reference, path);
    match taken {
        Ok(t) => grade_taken(reference, &name, path, &t, opts),
        Err(e) => Ok(unreadable(reference, &name, path, e, opts)),
    }
}

/// Grades of a submission that could not be read at all: every assignment 0.
pub fn unreadable(
    reference: &Reference,
    name: &str,
    path: &Path,
    why: String,
    opts: &GradeOptions,
) -> Grades {
    let scores = assignments(reference, opts)
        .map(|a| Score {
            id: a.id.clone(),
            passed: 0,
            total: a.graded().count(),
            points: 0.0,
            max_points: a.points,
            note: Some("the submission could not be read".into()),
        })
        .collect::<Vec<_>>();
    Grades {
        student: name.to_string(),
        submission: path.to_path_buf(),
        hash: String::new(),
        max_points: scores.iter().map(|s| s.max_points).sum(),
        points: 0.0,
        scores,
        problems: BTreeMap::new(),
        error: Some(why),
        builds: Vec::new(),
        tests: Vec::new(),
        sandbox: opts.sandbox.describe(),
        seconds: 0.0,
    }
}

fn assignments<'a>(
    reference: &'a Reference,
    opts: &'a GradeOptions,
) -> impl Iterator<Item = &'a crate::table::Assignment> {
    reference
        .table
        .assignments
        .iter()
        .filter(|a| opts.only.as_ref().is_none_or(|o| o.contains(a.krate())))
}

/// The crates whose tests grade this run's assignments.
pub fn graded_crates<'a>(reference: &'a Reference, opts: &GradeOptions) -> Vec<&'a str> {
    reference
        .table
        .crates()
        .into_iter()
        .filter(|c| opts.only.as_ref().is_none_or(|o| o.contains(*c)))
        .collect()
}

/// Grades what was taken from a submission.
pub fn grade_taken(
    reference: &Reference,
    name: &str,
    path: &Path,
    taken: &Taken,
    opts: &GradeOptions,
) -> Result<Grades, GraderError> {
    let start = Instant::now();
    let hash = content_hash(reference, taken);
    let crates = graded_crates(reference, opts);
    // Nothing to build when no region at all could be taken (no markers,
    // everything refused); the release check's skeleton (nothing taken,
    // nothing wrong) is built like any other step.
    let nothing = taken.texts.is_empty() && !taken.problems.is_empty();
    let (builds, tests) = if !nothing {
        let prepared = export_stage(reference, taken, &hash, opts)?;
        let (exes, builds) = build_stage(&prepared, &crates, opts)?;
        let tests = run_stage(reference, &prepared, &crates, &exes, opts)?;
        prepared.clean(opts);
        (builds, tests)
    } else {
        // Nothing to build: every exercise is missing or refused.
        (Vec::new(), Vec::new())
    };
    let scores = score(reference, taken, &builds, &tests, opts);
    Ok(Grades {
        student: name.to_string(),
        submission: path.to_path_buf(),
        hash,
        points: scores.iter().map(|s| s.points).sum(),
        max_points: scores.iter().map(|s| s.max_points).sum(),
        scores,
        problems: taken.problems.clone(),
        error: None,
        builds,
        tests,
        sandbox: opts.sandbox.describe(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Step 5: points × passed / listed per assignment; 0 where the
/// submission's regions were not taken.
pub fn score(
    reference: &Reference,
    taken: &Taken,
    builds: &[CrateBuild],
    tests: &[TestResult],
    opts: &GradeOptions,
) -> Vec<Score> {
    let mut scores = Vec::new();
    for a in assignments(reference, opts) {
        let hidden_missing = reference.is_release;
        let listed: Vec<&str> = a
            .graded()
            .filter(|t| !(hidden_missing && Grades::is_hidden(t)))
            .collect();
        let result = |t: &str| tests.iter().find(|r| r.krate == a.krate() && r.name == t);
        let passed = listed
            .iter()
            .filter(|t| result(t).is_some_and(|r| r.outcome == Outcome::Passed))
            .count();
        let total = listed.len();
        let problem = taken.problems.get(&a.id);
        let build = builds.iter().find(|b| b.krate == a.krate());
        let mut notes = Vec::new();
        if let Some(p) = problem {
            notes.push(format!("not graded: {}", p.join("; ")));
        } else if !taken.complete(&a.id) {
            notes.push("not taken from the submission".to_string());
        } else if build.is_some_and(|b| !b.compiled) {
            notes.push(format!("{} does not compile", a.krate()));
        }
        if tests
            .iter()
            .any(|r| r.krate == a.krate() && a.matches(&r.name) && r.outcome == Outcome::TimedOut)
        {
            notes.push("a test ran out of time".into());
        }
        if hidden_missing && !a.hidden.is_empty() {
            notes.push(format!(
                "{} hidden test(s) run only when the instructor grades",
                a.hidden.len()
            ));
        }
        let points = if problem.is_some() || total == 0 {
            0.0
        } else {
            a.points * passed as f64 / total as f64
        };
        scores.push(Score {
            id: a.id.clone(),
            passed: if problem.is_some() { 0 } else { passed },
            total,
            points,
            max_points: a.points,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    scores
}

fn io_write(path: &Path) -> impl FnOnce(std::io::Error) -> GraderError + '_ {
    move |source| GraderError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A spliced workspace, ready to build.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The submission's work folder (everything its build may write).
    pub work: PathBuf,
    /// The spliced workspace.
    pub ws: PathBuf,
    /// Cargo's target folder for it.
    pub target: PathBuf,
    writable: Vec<PathBuf>,
    /// The grading's sandbox, showing these folders wherever they are.
    sandbox: Sandbox,
}

impl Prepared {
    /// Removes what the grading left (unless `keep_work`): the whole work
    /// folder of a fresh target, the log folders of a reused one.
    pub fn clean(&self, opts: &GradeOptions) {
        if opts.keep_work {
            return;
        }
        let _ = match &opts.target {
            Target::Fresh { .. } => std::fs::remove_dir_all(&self.work),
            Target::Reuse(_) | Target::Incremental(_) => {
                std::fs::remove_dir_all(scratch_of(&self.work))
            }
        };
    }
}

/// Step 2: the reference exported with the taken regions spliced in.
pub fn export_stage(
    reference: &Reference,
    taken: &Taken,
    hash: &str,
    opts: &GradeOptions,
) -> Result<Prepared, GraderError> {
    let versions = match &opts.target {
        Target::Incremental(_) => crate::export::Versions::all("-incremental"),
        _ => reference.versions(taken),
    };
    let (work, target, mode) = match &opts.target {
        Target::Fresh { .. } => {
            let work = opts
                .work
                .join(format!("{}-{:08x}", &hash[..12], rand::random::<u32>()));
            if work.exists() {
                std::fs::remove_dir_all(&work).map_err(io_write(&work))?;
            }
            let target = work.join("target");
            (work, target, Destination::New)
        }
        Target::Reuse(t) | Target::Incremental(t) => {
            (opts.work.clone(), t.clone(), Destination::Update)
        }
    };
    let ws = work.join("ws");
    std::fs::create_dir_all(&work).map_err(io_write(&work))?;
    let fill =
        |f: &Path, r: &Region, k: usize| match taken.texts.get(&(f.to_path_buf(), r.id.clone())) {
            Some(texts) => texts.get(k).map_or(Fill::Todo, |t| Fill::Text(t.clone())),
            None => Fill::Todo,
        };
    if opts.verbose {
        labkit::note!(
            "grade: exporting the reference with the submission's exercises into {}",
            ws.display()
        );
    }
    export_with(
        &reference.root,
        &ws,
        &reference.table,
        &Plan {
            purpose: Purpose::Grading,
            fill: &fill,
            versions: &versions,
            mode,
        },
    )?;
    let mut shown = vec![work.as_path(), target.as_path(), reference.root.as_path()];
    if let Target::Fresh { shared } = &opts.target {
        shown.push(shared);
    }
    let sandbox = opts.sandbox.clone().showing(&shown);
    let writable = match &opts.target {
        Target::Fresh { shared } => {
            link_shared_target(shared, &target)?;
            vec![work.clone()]
        }
        Target::Reuse(t) | Target::Incremental(t) => {
            std::fs::create_dir_all(t).map_err(io_write(t))?;
            vec![work.clone(), t.clone()]
        }
    };
    Ok(Prepared {
        work,
        ws,
        target,
        writable,
        sandbox,
    })
}

/// Step 3: the graded crates' unit tests, built in the sandbox.
pub fn build_stage(
    p: &Prepared,
    crates: &[&str],
    opts: &GradeOptions,
) -> Result<(Vec<Executable>, Vec<CrateBuild>), GraderError> {
    if opts.verbose {
        labkit::note!("grade: building the tests of {} …", crates.join(", "));
    }
    let writable: Vec<&Path> = p.writable.iter().map(PathBuf::as_path).collect();
    let built = build_tests(
        &p.ws,
        crates,
        &p.target,
        &p.sandbox,
        &writable,
        opts.build_timeout,
    )?;
    // The hidden tests are compiled in; their source is not left for the
    // tests to read (a reused workspace keeps it, to stay incremental).
    if matches!(opts.target, Target::Fresh { .. }) {
        remove_hidden_sources(&p.ws, crates);
    }
    Ok(built)
}

/// Step 4: every test the table lists for `crates`, each in the sandbox; a
/// listed test that is not in the build is `NotRun` (it counts as failed).
pub fn run_stage(
    reference: &Reference,
    p: &Prepared,
    crates: &[&str],
    exes: &[Executable],
    opts: &GradeOptions,
) -> Result<Vec<TestResult>, GraderError> {
    let mut jobs: Vec<(Executable, String)> = Vec::new();
    let mut not_run: Vec<TestResult> = Vec::new();
    for &c in crates {
        let listed: Vec<&str> = reference
            .table
            .assignments
            .iter()
            .filter(|a| a.krate() == c)
            .flat_map(|a| a.graded())
            .filter(|t| !(reference.is_release && Grades::is_hidden(t)))
            .collect();
        let exe = exes.iter().find(|e| e.krate == c);
        let names = match exe {
            Some(e) => list_tests(e, &p.sandbox)?,
            None => Vec::new(),
        };
        for t in listed {
            match exe {
                Some(e) if names.iter().any(|n| n == t) => jobs.push((e.clone(), t.to_string())),
                _ => not_run.push(TestResult {
                    krate: c.to_string(),
                    name: t.to_string(),
                    outcome: Outcome::NotRun,
                    seconds: 0.0,
                    output: Some(if exe.is_some() {
                        "no such test in the build (it counts as failed)".into()
                    } else {
                        format!("{c} does not compile (its tests count as failed)")
                    }),
                }),
            }
        }
    }
    if opts.verbose {
        labkit::note!(
            "grade: running {} tests, {} at a time …",
            jobs.len(),
            opts.jobs.max(1)
        );
    }
    let mut tests = run_all(
        jobs,
        &p.sandbox,
        &scratch_of(&p.work),
        opts.timeout,
        opts.jobs,
        opts.processes,
        opts.verbose,
    )?;
    tests.extend(not_run);
    Ok(tests)
}

/// Deletes `src/hidden_tests.rs` of the graded crates of a built export.
fn remove_hidden_sources(ws: &Path, crates: &[&str]) {
    for c in crates {
        let _ = std::fs::remove_file(
            ws.join("crates")
                .join(c)
                .join("src")
                .join(format!("{HIDDEN_MODULE}.rs")),
        );
    }
}
