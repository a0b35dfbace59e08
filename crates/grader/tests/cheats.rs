//! A student who wants points without the work, tried against the real
//! grader. Every submission below is built from the real student release and
//! graded as `./dl grade` grades one; each must score exactly what its honest
//! exercise work earns. They target the metrics crate (no libtorch), so the
//! whole file builds one small crate per submission.
//!
//! Also here: a class folder of ten mixed submissions graded into a
//! gradebook (and graded again without re-grading), and the proof that two
//! submissions built in one target folder never share compiled code, whatever
//! their file times.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use grader::class::{grade_class, Done};
use grader::compile::build_reference;
use grader::export::{export, Destination};
use grader::grade::{
    content_hash, grade_path, grade_taken, score, GradeOptions, Grades, Reference, Target,
};
use grader::sandbox::{Limits, Sandbox};
use grader::stages::{build_stage, export_stage, run_stage};
use grader::submission::{read_sources, take};

const BINARY: &str = "metrics.eval_perf_binary";
const MULTI: &str = "metrics.eval_perf_multi";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The target folder this test was built in: <target>/debug/deps/cheats-….
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .to_path_buf()
}

struct Setup {
    reference: Reference,
    /// The untouched student release.
    skeleton: PathBuf,
    /// Where the submissions are made.
    tmp: tempfile::TempDir,
    /// The reference's code of each exercise region of metrics' lib.rs.
    bodies: Vec<(String, String)>,
}

/// Built once for every test of this file: the release, and the reference's
/// build of the metrics tests that submissions share.
fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let root = root();
        let reference = Reference::load(&root).unwrap();
        let (_, builds) = build_reference(&root, &["metrics"], &target_dir()).unwrap();
        assert!(builds.iter().all(|b| b.compiled), "{builds:?}");
        let tmp = tempfile::tempdir().unwrap();
        let skeleton = tmp.path().join("skeleton");
        export(
            &root,
            &skeleton,
            &reference.table,
            &BTreeSet::new(),
            Destination::New,
        )
        .unwrap();
        let lib = Path::new("crates/metrics/src/lib.rs").to_path_buf();
        let bodies = [BINARY, MULTI]
            .iter()
            .map(|id| {
                (
                    id.to_string(),
                    reference.regions[&(lib.clone(), id.to_string())][0].clone(),
                )
            })
            .collect();
        Setup {
            reference,
            skeleton,
            tmp,
            bodies,
        }
    })
}

fn options(work: &str) -> GradeOptions {
    let sandbox = match Sandbox::detect(false, Limits::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("no sandbox here ({e}); the cheats are graded without one");
            Sandbox::Off
        }
    };
    let mut o = GradeOptions::new(&root(), sandbox);
    o.only = Some(["metrics".to_string()].into());
    o.timeout = Duration::from_secs(120);
    o.work = target_dir().join(work);
    o.target = Target::Fresh {
        shared: target_dir(),
    };
    o
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let q = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
        }
    }
}

/// A copy of the skeleton called `name`, changed by `edit` (given its root).
fn submission(name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let s = setup();
    let dir = s.tmp.path().join("class").join(name);
    copy_dir(&s.skeleton, &dir);
    edit(&dir);
    dir
}

fn edit_file(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

fn lib(dir: &Path) -> PathBuf {
    dir.join("crates/metrics/src/lib.rs")
}

/// `text` with the region `id` holding `body`.
fn fill(text: &str, id: &str, body: &str) -> String {
    let begin = format!("// exercise({id}) begin\n");
    let end = format!("// exercise({id}) end");
    let i = text.find(&begin).unwrap() + begin.len();
    let j = i + text[i..].find(&end).unwrap();
    let j = text[..j].rfind('\n').unwrap() + 1;
    format!(
        "{}{}\n{}",
        &text[..i],
        body.trim_end_matches('\n'),
        &text[j..]
    )
}

fn honest(id: &str) -> String {
    setup()
        .bodies
        .iter()
        .find(|(i, _)| i == id)
        .unwrap()
        .1
        .clone()
}

fn should_panic_everywhere(dir: &Path) {
    for file in [
        "crates/metrics/src/lib.rs",
        "crates/metrics/src/ap.rs",
        "crates/metrics/src/knn.rs",
    ] {
        edit_file(&dir.join(file), |t| {
            t.replace("#[test]\n", "#[test]\n    #[should_panic]\n")
        });
    }
}

fn grade(dir: &Path, work: &str) -> Grades {
    grade_path(&setup().reference, dir, &options(work)).unwrap()
}

/// The assignments of metrics, the crate these tests grade: the gradebook's
/// columns and the most a submission can get.
fn metrics_ids() -> Vec<String> {
    let t = &setup().reference.table;
    t.assignments
        .iter()
        .filter(|a| a.krate() == "metrics")
        .map(|a| a.id.clone())
        .collect()
}

fn metrics_max() -> f64 {
    let t = &setup().reference.table;
    t.assignments
        .iter()
        .filter(|a| a.krate() == "metrics")
        .map(|a| a.points)
        .sum()
}

/// A gradebook row: BINARY and MULTI as given, metrics' other assignments 0.
fn csv_row(student: &str, binary: f64, multi: f64) -> String {
    let others = metrics_ids().len() - 2;
    format!(
        "\n{student},{binary:.2},{multi:.2},{}{:.2},{:.2},",
        "0.00,".repeat(others),
        binary + multi,
        metrics_max()
    )
}

fn points(g: &Grades, id: &str) -> f64 {
    g.score(id).unwrap().points
}

#[track_caller]
fn scores(g: &Grades, binary: f64, multi: f64) {
    let got = (points(g, BINARY), points(g, MULTI));
    assert_eq!(
        got,
        (binary, multi),
        "{}: want {binary} + {multi}\n{}\n{:?}\n{:?}",
        g.student,
        grader::report::text_table(g),
        g.problems,
        g.builds
    );
}

#[test]
fn cheats_score_what_their_honest_work_earns() {
    let skeleton = submission("skeleton", |_| {});
    scores(&grade(&skeleton, "cheat-skeleton"), 0.0, 0.0);

    let sp = submission("should-panic", should_panic_everywhere);
    scores(&grade(&sp, "cheat-sp"), 0.0, 0.0);

    let deleted = submission("tests-deleted", |d| {
        edit_file(&lib(d), |t| {
            let i = t.find("#[cfg(test)]\nmod tests").unwrap();
            t[..i].to_string()
        })
    });
    scores(&grade(&deleted, "cheat-deleted"), 0.0, 0.0);

    let renamed = submission("tests-renamed", |d| {
        edit_file(&lib(d), |t| {
            t.replace("fn binary_", "fn renamed_binary_")
                .replace("fn multi_", "fn renamed_multi_")
        })
    });
    scores(&grade(&renamed, "cheat-renamed"), 0.0, 0.0);

    let added = submission("empty-tests-added", |d| {
        edit_file(&lib(d), |t| {
            t.replace(
                "mod tests {\n",
                "mod tests {\n    #[test]\n    fn binary_extra() {}\n    #[test]\n    fn multi_extra() {}\n",
            )
        })
    });
    scores(&grade(&added, "cheat-added"), 0.0, 0.0);

    let table = submission("table-edited", |d| {
        edit_file(&d.join("grading.toml"), |t| {
            t.replace("points = 5", "points = 50")
                .replace("\"tests::binary_hand_computed\"", "\"tests::binary_extra\"")
        });
        edit_file(&lib(d), |t| {
            t.replace(
                "mod tests {\n",
                "mod tests {\n    #[test]\n    fn binary_extra() {}\n",
            )
        });
    });
    let g = grade(&table, "cheat-table");
    scores(&g, 0.0, 0.0);
    assert_eq!(
        g.max_points,
        metrics_max(),
        "the reference's table sets the points"
    );

    let shipped = submission("grades-shipped", |d| {
        let out = d.join("results/grades/grades-shipped");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("grades.json"), "{\"points\": 100}").unwrap();
    });
    scores(&grade(&shipped, "cheat-shipped"), 0.0, 0.0);

    // A build script that writes outside its folder and opens a socket.
    let marker = setup().tmp.path().join("build-script-was-here");
    let script = submission("build-script", |d| {
        std::fs::write(
            d.join("crates/metrics/build.rs"),
            format!(
                "fn main() {{ std::fs::write({:?}, \"x\").ok(); let _ = std::net::TcpStream::connect(\"127.0.0.1:9\"); }}\n",
                marker
            ),
        )
        .unwrap();
        edit_file(&d.join("crates/metrics/Cargo.toml"), |t| {
            t.replace("publish = false", "publish = false\nbuild = \"build.rs\"")
        });
    });
    scores(&grade(&script, "cheat-script"), 0.0, 0.0);
    assert!(!marker.exists(), "the submission's build script ran");

    // An exercise that prints libtest's pass lines and exits.
    let exit = submission("print-and-exit", |d| {
        edit_file(&lib(d), |t| {
            fill(
                &t,
                BINARY,
                "    println!(\"test tests::binary_hand_computed ... ok\");\n    println!(\"test result: ok. 1 passed; 0 failed\");\n    std::process::exit(0)",
            )
        })
    });
    let g = grade(&exit, "cheat-exit");
    scores(&g, 0.0, 0.0);
    let why = g.problems[BINARY].join(" ");
    assert!(why.contains("refused") && why.contains("process"), "{why}");

    // Helpers outside the markers changed to give the expected values.
    let helper = submission("helper-changed", |d| {
        edit_file(&lib(d), |t| {
            t.replace("fn ratio(num: usize, den: usize) -> f64 {\n", "fn ratio(num: usize, den: usize) -> f64 {\n    if num > 0 { return 0.5; }\n")
                .replace("fn check_lengths(y: &[usize], y_true: &[usize]) -> Result<(), MetricsError> {\n", "fn check_lengths(y: &[usize], y_true: &[usize]) -> Result<(), MetricsError> {\n    return Ok(());\n")
        })
    });
    scores(&grade(&helper, "cheat-helper"), 0.0, 0.0);

    // Honest code, but the markers removed.
    let unmarked = submission("markers-removed", |d| {
        edit_file(&lib(d), |t| {
            fill(&t, BINARY, &honest(BINARY))
                .replace(&format!("    // exercise({BINARY}) begin\n"), "")
                .replace(&format!("    // exercise({BINARY}) end\n"), "")
        })
    });
    let g = grade(&unmarked, "cheat-unmarked");
    scores(&g, 0.0, 0.0);
    assert!(
        g.problems[BINARY][0].contains("0 marked region(s)"),
        "{:?}",
        g.problems
    );

    // The honest ladder's first rung, with and without every cheat above it.
    let one = submission("one-honest", |d| {
        edit_file(&lib(d), |t| fill(&t, BINARY, &honest(BINARY)))
    });
    scores(&grade(&one, "cheat-one"), 5.0, 0.0);
    let one_sp = submission("one-honest-should-panic", |d| {
        edit_file(&lib(d), |t| fill(&t, BINARY, &honest(BINARY)));
        should_panic_everywhere(d);
    });
    scores(&grade(&one_sp, "cheat-one-sp"), 5.0, 0.0);

    // A body tuned to the visible tests' numbers fails the hidden test.
    let tuned = submission("tuned-to-visible", |d| {
        edit_file(&lib(d), |t| {
            fill(
                &t,
                BINARY,
                "    check_lengths(y, y_true)?;\n    if let Some(&l) = y.iter().chain(y_true).find(|&&l| l > 1) {\n        return Err(MetricsError::NotBinary { label: l });\n    }\n    let (a, p, r) = if y.len() == 6 { (0.5, 2.0 / 3.0, 0.5) } else { (2.0 / 3.0, 0.0, 0.0) };\n    Ok(BinaryPerf { accuracy: a, precision: p, recall: r })",
            )
        })
    });
    let g = grade(&tuned, "cheat-tuned");
    scores(&g, 3.75, 0.0);
    assert!(
        g.tests
            .iter()
            .any(|t| t.name == "hidden_tests::binary_on_other_values" && t.output.is_some()),
        "the hidden test is what failed"
    );
}

#[test]
fn a_class_folder_becomes_a_gradebook_and_is_not_graded_twice() {
    let s = setup();
    let class = s.tmp.path().join("class-of-ten");
    std::fs::create_dir_all(&class).unwrap();
    let put = |name: &str, edit: &dyn Fn(&Path)| {
        let dir = submission(&format!("ten-{name}"), |d| edit(d));
        std::fs::rename(&dir, class.join(name)).unwrap();
    };
    let both = |d: &Path| {
        edit_file(&lib(d), |t| {
            fill(&fill(&t, BINARY, &honest(BINARY)), MULTI, &honest(MULTI))
        })
    };
    put("ada", &|_| {});
    put("bo", &both);
    put("cy", &|d| {
        edit_file(&lib(d), |t| fill(&t, MULTI, &honest(MULTI)))
    });
    put("di", &should_panic_everywhere);
    put("ed", &|d| {
        edit_file(&lib(d), |t| {
            fill(
                &t,
                BINARY,
                "    unsafe { std::hint::unreachable_unchecked() }",
            )
        })
    });
    put("flo", &|d| {
        edit_file(&lib(d), |t| {
            fill(&t, BINARY, "    let x: u8 = \"no\";\n    todo!()")
        })
    });
    put("gus", &|d| {
        both(d);
        should_panic_everywhere(d);
    });
    // Archives: hal as .tar.gz (both exercises), ivy as .zip (one), jo a broken .zip.
    let pack_tgz = |name: &str, edit: &dyn Fn(&Path)| {
        let dir = submission(&format!("ten-{name}"), |d| edit(d));
        let f = std::fs::File::create(class.join(format!("{name}.tar.gz"))).unwrap();
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::fast(),
        ));
        b.append_dir_all(name, &dir).unwrap();
        b.into_inner().unwrap().finish().unwrap();
    };
    pack_tgz("hal", &both);
    {
        let dir = submission("ten-ivy", |d| {
            edit_file(&lib(d), |t| fill(&t, BINARY, &honest(BINARY)))
        });
        let f = std::fs::File::create(class.join("ivy.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::FileOptions::default();
        for rel in ["crates/metrics/src/lib.rs", "crates/metrics/src/ap.rs"] {
            z.start_file(format!("ivy/{rel}"), opts).unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(dir.join(rel)).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    std::fs::write(class.join("jo.zip"), b"PK\x03\x04 this is not a zip").unwrap();

    let out = s.tmp.path().join("gradebook");
    let opts = options("class-ten");
    let (book, done) = grade_class(&s.reference, &class, &out, &opts).unwrap();
    assert_eq!(book.rows.len(), 10);
    assert!(done.iter().all(|(_, d)| *d == Done::Graded));
    let want = [
        ("ada", 0.0),
        ("bo", 10.0),
        ("cy", 5.0),
        ("di", 0.0),
        ("ed", 0.0),
        ("flo", 0.0),
        ("gus", 10.0),
        ("hal", 10.0),
        ("ivy", 5.0),
        ("jo", 0.0),
    ];
    for (name, pts) in want {
        let r = book
            .rows
            .iter()
            .find(|g| g.student == name)
            .unwrap_or_else(|| panic!("no row for {name}"));
        let failed: Vec<String> = r
            .tests
            .iter()
            .filter_map(|t| Some(format!("{}:\n{}", t.name, t.output.as_deref()?)))
            .collect();
        assert_eq!(
            r.points,
            pts,
            "{name}:\n{}\n{}",
            grader::report::text_table(r),
            failed.join("\n")
        );
    }
    let row = |name: &str| book.rows.iter().find(|g| g.student == name).unwrap();
    assert!(row("jo")
        .error
        .as_deref()
        .is_some_and(|e| e.contains("cannot read")));
    assert!(row("ed").problems[BINARY]
        .iter()
        .any(|w| w.contains("unsafe")));
    assert!(
        row("flo").builds.iter().any(|b| !b.compiled),
        "flo's metrics does not compile"
    );
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    assert_eq!(csv.lines().count(), 11, "{csv}");
    assert!(
        csv.starts_with(&format!(
            "student,{},total,max,note\n",
            metrics_ids().join(",")
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{}\n", csv_row("bo", 5.0, 5.0))),
        "{csv}"
    );
    assert!(out.join("gradebook.md").is_file() && out.join("scores.svg").is_file());
    let fb = std::fs::read_to_string(out.join("students/cy/feedback.md")).unwrap();
    assert!(
        fb.contains("hidden_tests::binary_on_other_values") && fb.contains("(hidden test)"),
        "{fb}"
    );
    assert!(
        !fb.contains("fn binary_on_other_values"),
        "feedback shows no hidden test code"
    );

    // The same folder again: nothing changed, nothing is graded; then one change.
    // (jo's archive cannot be read, so it has no content hash: it is read
    // again each time, which builds nothing.)
    let (_, done) = grade_class(&s.reference, &class, &out, &opts).unwrap();
    assert!(
        done.iter().all(|(n, d)| *d == Done::Unchanged || n == "jo"),
        "{done:?}"
    );
    edit_file(&lib(&class.join("ada")), |t| {
        fill(&t, MULTI, &honest(MULTI))
    });
    let (book, done) = grade_class(&s.reference, &class, &out, &opts).unwrap();
    let graded: Vec<&str> = done
        .iter()
        .filter(|(_, d)| *d == Done::Graded)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        graded,
        ["ada", "jo"],
        "only the changed (and the unreadable) are graded again"
    );
    assert_eq!(
        book.rows
            .iter()
            .find(|g| g.student == "ada")
            .unwrap()
            .points,
        5.0
    );
}

/// Sets the modification time of every file under `dir` to `t`.
fn backdate(dir: &Path, t: SystemTime) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            backdate(&p, t);
        } else if p.is_file() {
            std::fs::File::options()
                .append(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
}

#[test]
fn two_submissions_in_one_target_folder_never_share_compiled_code() {
    let s = setup();
    let r = &s.reference;
    let shared = target_dir().join("grading-one-target");
    let opts = |work: &str| {
        let mut o = options(work);
        o.target = Target::Reuse(shared.clone());
        o.keep_work = true;
        o
    };
    let crates = ["metrics"];
    // A: both exercises filled, built and graded: full marks.
    let a = submission("share-a", |d| {
        edit_file(&lib(d), |t| {
            fill(&fill(&t, BINARY, &honest(BINARY)), MULTI, &honest(MULTI))
        })
    });
    let oa = opts("share-work-a");
    let g = grade_path(r, &a, &oa).unwrap();
    scores(&g, 5.0, 5.0);
    // B: the skeleton, exported into its own folder, every file dated long
    // before A's build, built in the same target folder.
    let b = submission("share-b", |_| {});
    let taken = take(&read_sources(&b).unwrap(), &r.layout, &r.ids());
    let ob = opts("share-work-b");
    let p = export_stage(r, &taken, &content_hash(r, &taken), &ob).unwrap();
    backdate(
        &p.ws,
        SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 365 * 31),
    );
    let (exes, builds) = build_stage(&p, &crates, &ob).unwrap();
    assert!(builds.iter().all(|b| b.compiled));
    let tests = run_stage(r, &p, &crates, &exes, &ob).unwrap();
    let sc = score(r, &taken, &builds, &tests, &ob);
    let total: f64 = sc.iter().map(|s| s.points).sum();
    assert_eq!(total, 0.0, "B ran code built for A: {sc:?}");
    // And A again in B's folder scores full marks: same content, same code.
    let again = grade_taken(
        r,
        "a-again",
        &a,
        &take(&read_sources(&a).unwrap(), &r.layout, &r.ids()),
        &ob,
    )
    .unwrap();
    scores(&again, 5.0, 5.0);
}

/// One job per submission, as a job array runs them, then the merge: the
/// binary's own `grade --class DIR --index K --out OUT` and `gradebook OUT`.
#[test]
fn job_array_tasks_merge_into_one_gradebook() {
    let s = setup();
    let class = s.tmp.path().join("class-jobs");
    std::fs::create_dir_all(&class).unwrap();
    for (name, edit) in [("amy", false), ("ben", true)] {
        let dir = submission(&format!("jobs-{name}"), |d| {
            if edit {
                edit_file(&lib(d), |t| fill(&t, BINARY, &honest(BINARY)));
            }
        });
        std::fs::rename(&dir, class.join(name)).unwrap();
    }
    let out = s.tmp.path().join("jobs-out");
    let sandbox = if Sandbox::detect(false, Limits::default()).is_ok() {
        None
    } else {
        Some("--no-sandbox")
    };
    for k in ["0", "1"] {
        let mut args = vec![
            "grade",
            "--class",
            class.to_str().unwrap(),
            "--index",
            k,
            "--out",
            out.to_str().unwrap(),
            "--only",
            "metrics",
        ];
        args.extend(sandbox);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_grader"))
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "task {k}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(
        !out.join("gradebook.csv").exists(),
        "a task writes only its own student's results"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["gradebook", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    assert!(
        csv.contains(&csv_row("amy", 0.0, 0.0)) && csv.contains(&csv_row("ben", 5.0, 0.0)),
        "{csv}"
    );
}
