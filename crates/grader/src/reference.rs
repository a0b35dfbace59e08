//! The instructor's copy that grading is done from: its files, its crate
//! graph, the table of assignments, and where its compiled dependencies are.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::export::{workspace_files, STAMP};
use crate::markers;
use crate::submission::{hex, Layout, Taken};
use crate::table::Table;
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

/// The hash that names what is graded: the reference and the taken regions.
pub fn content_hash(reference: &Reference, taken: &Taken) -> String {
    let mut h = Sha256::new();
    h.update(reference.fingerprint.as_bytes());
    h.update([0]);
    h.update(taken.hash.as_bytes());
    hex(&h.finalize())
}
