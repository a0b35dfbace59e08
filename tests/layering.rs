//! The workspace's shape, checked: every lab stands on one floor above the
//! shared crates, no lab reaches into another lab's runner, no crate has
//! a cycle between its source files, and libraries do not print (binaries
//! and labkit's reporter do).
//!
//! `./dl graph` draws the same crate graph as a picture.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates every lab may use; they never depend on a lab.
const SHARED: [&str; 8] = [
    "workspace_hack",
    "data",
    "plot",
    "metrics",
    "labkit",
    "torch_util",
    "torch_build",
    "labtest",
];

/// Where the course itself has one lab use another lab's *model*.
const MODEL_USES: [(&str, &str); 4] = [
    ("pt_deep", "pt_logreg"), // PTDeep's loss is PTLogreg's, over all its layers
    ("ksvm_wrap", "pt_deep"), // compares KSVMWrap with PTDeep
    ("mnist_shootout", "pt_deep"), // PTDeep on MNIST
    ("mnist_shootout", "ksvm_wrap"), // the SVM assignment
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn crates() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Workspace crates named under `[dependencies]` (not dev- or build-).
fn deps_of(krate: &str, all: &[String]) -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut section = String::new();
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .to_string();
        if all.contains(&name) {
            out.insert(name);
        }
    }
    out
}

#[test]
fn labs_stand_on_one_floor_above_the_shared_crates() {
    let all = crates();
    assert!(all.len() >= 10, "found crates {all:?}");
    let mut bad = Vec::new();
    for k in &all {
        for d in deps_of(k, &all) {
            let ok = if SHARED.contains(&k.as_str()) {
                SHARED.contains(&d.as_str())
            } else {
                SHARED.contains(&d.as_str()) || MODEL_USES.contains(&(k.as_str(), d.as_str()))
            };
            if !ok {
                bad.push(format!("{k} -> {d}"));
            }
        }
    }
    assert!(bad.is_empty(), "dependencies off the floor plan: {bad:?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_lab_uses_another_labs_runner() {
    let all = crates();
    let mut bad = Vec::new();
    for (user, lab) in MODEL_USES {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(user), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for runner in ["lab::", "lab::{", "main"] {
                if text.contains(&format!("{lab}::{runner}")) {
                    bad.push(format!("{} uses {lab}::{runner}", f.display()));
                }
            }
        }
    }
    assert!(all.contains(&"pt_deep".to_string()));
    assert!(bad.is_empty(), "{bad:?}");
}

/// Crates allowed to print from library code: labkit is the reporter the
/// others print through; torch_build's output is cargo's build directives.
const PRINTERS: [&str; 2] = ["labkit", "torch_build"];

/// `text` with every item marked `#[cfg(test)]` blanked (its lines kept,
/// empty): the attribute's item runs to its first `;` or to the `}` that
/// closes its first `{` (braces counted naively, which format strings keep
/// balanced).
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.extend(item[..end].chars().filter(|&c| c == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// `(line, macro)` of every printing macro in `text` outside its
/// `#[cfg(test)]` items (tests may print), comment lines left out.
fn prints_in(text: &str) -> Vec<(usize, &'static str)> {
    let code = without_tests(text);
    let mut found = Vec::new();
    for (k, line) in code.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for mac in ["println!", "print!", "eprintln!", "eprint!", "dbg!"] {
            let hit = line.match_indices(mac).any(|(at, _)| {
                !line[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push((k + 1, mac));
            }
        }
    }
    found
}

#[test]
fn libraries_do_not_print() {
    let mut bad = Vec::new();
    for krate in crates() {
        if PRINTERS.contains(&krate.as_str()) {
            continue;
        }
        let src = root().join("crates").join(&krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for f in files {
            let rel = f.strip_prefix(&src).unwrap();
            let binary = rel == Path::new("main.rs") || rel.starts_with("bin");
            let test_file = rel
                .file_name()
                .is_some_and(|n| n == "tests.rs" || n == "hidden_tests.rs");
            if binary || test_file {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, mac) in prints_in(&text) {
                let shown = f.strip_prefix(root()).unwrap_or(&f);
                bad.push(format!("{}:{line}: {mac}", shown.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "library code prints; report through labkit::say! / labkit::note! instead: {bad:#?}"
    );
}

#[test]
fn prints_in_finds_macros_outside_tests_and_comments() {
    let text = "fn a() {\n    println!(\"x\");\n    // println!(\"doc\")\n    labkit::say!(\"y\");\n    \
                eprint!(\"z\");\n}\n#[cfg(test)]\nmod tests {\n fn t() { println!(\"{}\", 1); }\n}\n\
                #[cfg(test)]\nmod more;\nfn after() { dbg!(1); }\n";
    assert_eq!(
        prints_in(text),
        [(2, "println!"), (5, "eprint!"), (13, "dbg!")]
    );
}

/// The first path segment after each `crate::` (also inside `use crate::{…}`).
fn crate_refs(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Names at brace depth 0 inside the group.
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        out.insert(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

/// Module name of a source file of `src/`: `src/lab.rs` and `src/lab/mod.rs` are
/// `lab`, `src/assignments/configs.rs` belongs to `assignments`; lib.rs and
/// main.rs are the root (references to the root's items never form a cycle).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

#[test]
fn no_crate_has_a_cycle_between_its_modules() {
    let mut bad = Vec::new();
    for k in crates() {
        let src = root().join("crates").join(&k).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let Some(from) = top_module(&src, f) else {
                continue;
            };
            let text = std::fs::read_to_string(f).unwrap();
            // Unit tests may reach anywhere; only library code counts.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for to in crate_refs(code) {
                if to != from && modules.contains(&to) {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        for (a, targets) in &edges {
            for b in targets {
                if edges.get(b).is_some_and(|t| t.contains(a)) && a < b {
                    bad.push(format!("{k}: {a} <-> {b}"));
                }
            }
        }
        // Longer cycles: depth-first search for a back edge.
        fn visit(
            n: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            state: &mut BTreeMap<String, u8>,
        ) -> bool {
            state.insert(n.to_string(), 1);
            for m in edges.get(n).into_iter().flatten() {
                let seen = state.get(m.as_str()).copied();
                if seen == Some(1) || (seen.is_none() && visit(m, edges, state)) {
                    return true;
                }
            }
            state.insert(n.to_string(), 2);
            false
        }
        let mut state = BTreeMap::new();
        for n in edges.keys() {
            if !state.contains_key(n) && visit(n, &edges, &mut state) {
                bad.push(format!("{k}: a cycle through {n}"));
            }
        }
    }
    assert!(bad.is_empty(), "module cycles: {bad:?}");
}

#[test]
fn crate_refs_reads_use_groups() {
    let r = crate_refs("use crate::{model::check_config, Activation};\nuse crate::train::{a, b};");
    let want: BTreeSet<String> = ["model", "Activation", "train"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(r, want);
}

/// The dependency features `cargo tree` resolves for `selection` (`-p X` or
/// `--workspace`), one line per package outside the workspace:
/// `name vX.Y.Z [features]`.
fn resolved_features(selection: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--offline", "-e", "normal,build,dev"])
        .args(["-f", "{p} [{f}]", "--prefix", "none", "--no-dedupe"])
        .args(selection)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {selection:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains(&*root().to_string_lossy()))
        .map(str::to_string)
        .collect()
}

/// Building any one crate resolves every dependency with the whole
/// workspace's features (crates/workspace_hack pins them), so that the
/// grader's builds of a few crates at a time reuse the compiled
/// dependencies instead of compiling tch or linfa again for another feature
/// set.
#[test]
fn every_crate_alone_resolves_the_workspace_s_dependency_features() {
    let ws = resolved_features(&["--workspace"]);
    let mut bad = Vec::new();
    for k in crates().iter().filter(|k| *k != "torch_build") {
        for line in resolved_features(&["-p", k]).difference(&ws) {
            bad.push(format!("{k}: {line}"));
        }
    }
    assert!(
        bad.is_empty(),
        "these features differ from the whole workspace's; add the package to \
         crates/workspace_hack/Cargo.toml with the workspace's features \
         (`cargo tree --workspace -e normal,build,dev -f '{{p}} [{{f}}]' -i NAME`):\n{}",
        bad.join("\n")
    );
}
