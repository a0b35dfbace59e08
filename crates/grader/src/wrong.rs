//! Wrong solutions: plausible mistakes a student makes in an exercise, kept
//! outside the student release, which the grader's own tests grade to show
//! that each assignment's tests catch them.
//!
//! A wrong solution is written as edits of the reference's region text
//! (`replace = [[from, to], …]`, each `from` found verbatim) or as a whole
//! region body (`body`), in a TOML file:
//!
//! ```toml
//! [[wrong]]
//! id = "metrics.eval_perf_binary"
//! what = "precision and recall swapped"
//! replace = [["ratio(tp, tp + fp)", "ratio(tp, tp + fn_)"]]
//! ```
//!
//! Edits keep the file small and free of copies of the solution; a `from`
//! that no longer occurs (the reference changed) is an error, not a silent
//! pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::grade::{Grades, Reference};
use crate::submission::Taken;
use crate::GraderError;

/// One wrong solution of one assignment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrong {
    /// The assignment it is a wrong solution of.
    pub id: String,
    /// The mistake, in a few words (shown when it is not caught).
    pub what: String,
    /// Edits of the reference's regions: every region of the assignment in
    /// which `from` occurs gets it replaced (all occurrences); each `from`
    /// must occur somewhere.
    #[serde(default)]
    pub replace: Vec<(String, String)>,
    /// A whole body instead, for the region numbered `region` (the
    /// assignment's regions in file order, from 0).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub region: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrongFile {
    wrong: Vec<Wrong>,
}

/// Reads a file of wrong solutions.
pub fn load(path: &Path) -> Result<Vec<Wrong>, GraderError> {
    let text = std::fs::read_to_string(path).map_err(|source| GraderError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: WrongFile = toml::from_str(&text).map_err(|e| GraderError::Table {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    Ok(file.wrong)
}

impl Wrong {
    /// The crate whose tests grade it.
    pub fn krate(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// The regions of the assignment with the mistake made: (file, id) →
    /// texts. An error says what does not apply.
    pub fn regions(
        &self,
        reference: &Reference,
    ) -> Result<BTreeMap<(PathBuf, String), Vec<String>>, String> {
        if reference.table.get(&self.id).is_none() {
            return Err(format!("{} is not an assignment of grading.toml", self.id));
        }
        if self.replace.is_empty() && self.body.is_none() {
            return Err(format!(
                "{} ({}): neither `replace` nor `body`",
                self.id, self.what
            ));
        }
        let mut out: BTreeMap<(PathBuf, String), Vec<String>> = reference
            .regions
            .iter()
            .filter(|((_, id), _)| *id == self.id)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (from, to) in &self.replace {
            let mut found = false;
            for text in out.values_mut().flatten() {
                if text.contains(from.as_str()) {
                    *text = text.replace(from.as_str(), to);
                    found = true;
                }
            }
            if !found {
                return Err(format!(
                    "{} ({}): {from:?} is not in the reference's regions",
                    self.id, self.what
                ));
            }
        }
        if let Some(body) = &self.body {
            let slot = out.values_mut().flatten().nth(self.region).ok_or_else(|| {
                format!(
                    "{} ({}): there is no region {} (they count from 0)",
                    self.id, self.what, self.region
                )
            })?;
            *slot = format!("\n{}\n", body.trim_matches('\n'));
        }
        let unchanged = out.iter().all(|(k, v)| reference.regions.get(k) == Some(v));
        if unchanged {
            return Err(format!("{} ({}): changes nothing", self.id, self.what));
        }
        Ok(out)
    }
}

/// Wrong solutions graded in one build: at most one per crate, and no crate
/// among them depends on another (a mistake in `data` would make `fcann2`'s
/// tests fail for a reason that is not `fcann2`'s own).
pub fn rounds<'a>(reference: &Reference, wrongs: &[&'a Wrong]) -> Vec<Vec<&'a Wrong>> {
    let mut rounds: Vec<Vec<&'a Wrong>> = Vec::new();
    for w in wrongs {
        let c = w.krate();
        let fits = |round: &Vec<&'a Wrong>| {
            round.iter().all(|o| {
                let d = o.krate();
                d != c && !reference.closure(c).contains(d) && !reference.closure(d).contains(c)
            })
        };
        match rounds.iter_mut().find(|r| fits(r)) {
            Some(r) => r.push(w),
            None => rounds.push(vec![w]),
        }
    }
    rounds
}

/// What a round grades: the reference's own code for every exercise, except
/// the round's wrong ones.
pub fn taken_of_round(reference: &Reference, round: &[&Wrong]) -> Result<Taken, String> {
    let mut taken = reference.taken_filled(&reference.ids());
    for w in round {
        taken.texts.extend(w.regions(reference)?);
    }
    let names: Vec<String> = round
        .iter()
        .map(|w| format!("{}: {}", w.id, w.what))
        .collect();
    taken.hash = format!("wrong:{}", names.join(";"));
    Ok(taken)
}

/// The crates a round builds and grades.
pub fn crates_of_round(round: &[&Wrong]) -> BTreeSet<String> {
    round.iter().map(|w| w.krate().to_string()).collect()
}

/// Whether a wrong solution lost points on its own assignment.
pub fn caught(w: &Wrong, g: &Grades) -> Option<bool> {
    g.score(&w.id).map(|s| s.points < s.max_points)
}

/// The release check's ladder: the sets of filled exercises it grades, from
/// the skeleton (none) to the reference (all), each holding the one before.
///
/// A crate's tests see only the regions of the crates it is built from (its
/// closure), so a step may fill exercises of several crates at once as long
/// as every crate still meets its own exercises one at a time and in table
/// order: a step fills at most one assignment in any crate's closure, and
/// only the first unfilled one there. Every crate then goes through exactly
/// the states that filling the table one assignment at a time gives it, in
/// fewer builds.
pub fn ladder(reference: &Reference) -> Vec<BTreeSet<String>> {
    let table = &reference.table;
    let closures: Vec<BTreeSet<String>> = reference
        .crate_deps
        .keys()
        .map(|c| reference.closure(c))
        .collect();
    let mut filled: BTreeSet<String> = BTreeSet::new();
    let mut steps = vec![filled.clone()];
    while filled.len() < table.assignments.len() {
        let mut step: Vec<&crate::table::Assignment> = Vec::new();
        for a in table.assignments.iter().filter(|a| !filled.contains(&a.id)) {
            let fits = closures
                .iter()
                .filter(|cl| cl.contains(a.krate()))
                .all(|cl| {
                    let first = table
                        .assignments
                        .iter()
                        .find(|b| !filled.contains(&b.id) && cl.contains(b.krate()));
                    first.is_some_and(|b| b.id == a.id)
                        && !step.iter().any(|s| cl.contains(s.krate()))
                });
            // An assignment of a crate outside the workspace's crates
            // (impossible for a loaded reference) goes alone.
            if fits || (step.is_empty() && !closures.iter().any(|cl| cl.contains(a.krate()))) {
                step.push(a);
            }
        }
        if step.is_empty() {
            // Cannot happen: the first unfilled assignment always fits.
            if let Some(a) = table.assignments.iter().find(|a| !filled.contains(&a.id)) {
                step.push(a);
            }
        }
        filled.extend(step.iter().map(|a| a.id.clone()));
        steps.push(filled.clone());
    }
    steps
}
