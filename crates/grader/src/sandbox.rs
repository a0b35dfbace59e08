//! Where a submission's build and tests run: bubblewrap (`bwrap`) with no
//! network, a read-only view of the machine except the submission's own
//! folder, a private `/tmp` and process namespace, under `prlimit` limits on
//! memory, CPU time, file size and processes.
//!
//! The kernel does not apply the process-count limit (`RLIMIT_NPROC`) to
//! root. When the grader runs as root and a cgroup `pids` controller can be
//! written, the sandbox is also put into a cgroup of its own with `pids.max`
//! set to the same number.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::GraderError;

/// Resource limits of one sandboxed command (each process of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Address space of each process, bytes.
    pub memory: u64,
    /// Processes and threads at once.
    pub processes: u64,
    /// CPU seconds of each process.
    pub cpu_seconds: u64,
    /// Largest file a process may write, bytes.
    pub file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 16 << 30,
            processes: 512,
            cpu_seconds: 3600,
            file_size: 4 << 30,
        }
    }
}

/// How a submission's commands are run.
#[derive(Debug, Clone)]
pub enum Sandbox {
    /// Inside bubblewrap at this path. `visible`: folders the commands need
    /// (the reference, its target folder, the work folders) that are shown
    /// read-only even where they lie under `/tmp`, which the sandbox
    /// otherwise replaces by a private one.
    Bwrap {
        bwrap: PathBuf,
        limits: Limits,
        visible: Vec<PathBuf>,
    },
    /// As plain child processes (`--no-sandbox`): only for trusted code.
    Off,
}

/// What to tell someone whose machine has no bubblewrap.
pub const INSTALL_HINT: &str = "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`) and run again, or pass --no-sandbox to grade without one (only for code you trust)";

/// The first executable called `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Sandbox {
    /// bubblewrap when it is installed and works here; an error naming how to
    /// install it otherwise. `off` (from `--no-sandbox`) skips the search.
    pub fn detect(off: bool, limits: Limits) -> Result<Sandbox, GraderError> {
        if off {
            return Ok(Sandbox::Off);
        }
        let bwrap = which("bwrap").ok_or_else(|| GraderError::NoSandbox {
            why: "bubblewrap (bwrap) is not installed".into(),
        })?;
        if which("prlimit").is_none() {
            return Err(GraderError::NoSandbox {
                why: "prlimit (util-linux) is not installed".into(),
            });
        }
        let sb = Sandbox::Bwrap {
            bwrap,
            limits,
            visible: Vec::new(),
        };
        let probe = sb
            .command(Path::new("true"), &[], &[], Path::new("/"))
            .output();
        match probe {
            Ok(o) if o.status.success() => Ok(sb),
            Ok(o) => Err(GraderError::NoSandbox {
                why: format!(
                    "bwrap does not start here: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            }),
            Err(e) => Err(GraderError::NoSandbox {
                why: format!("bwrap does not start here: {e}"),
            }),
        }
    }

    /// The same sandbox, also showing `paths` (read-only) where they lie
    /// under `/tmp`.
    pub fn showing(mut self, paths: &[&Path]) -> Sandbox {
        if let Sandbox::Bwrap { visible, .. } = &mut self {
            for p in paths {
                let p = crate::export::normalized(p);
                if !visible.contains(&p) {
                    visible.push(p);
                }
            }
        }
        self
    }

    /// Whether commands really run sandboxed.
    pub fn is_on(&self) -> bool {
        matches!(self, Sandbox::Bwrap { .. })
    }

    /// One line for reports: what the sandbox does.
    pub fn describe(&self) -> String {
        match self {
            Sandbox::Off => "none (--no-sandbox)".into(),
            Sandbox::Bwrap { limits, .. } => format!(
                "bubblewrap: no network, read-only file system except the submission's folder, private /tmp and processes; \
                 per process {} GiB of memory, {} s of CPU, files up to {} GiB; {} processes",
                limits.memory >> 30,
                limits.cpu_seconds,
                limits.file_size >> 30,
                limits.processes
            ),
        }
    }

    /// `program args` run in `cwd`, with write access to `writable` only.
    /// Run the command in its own process group and kill that group to stop
    /// everything it started (the sandbox dies with its first process).
    /// Keep the returned value until the command has ended: dropping it
    /// removes the command's process-count cgroup, if it has one.
    pub fn command(
        &self,
        program: &Path,
        args: &[OsString],
        writable: &[&Path],
        cwd: &Path,
    ) -> Sandboxed {
        match self {
            Sandbox::Off => {
                let mut c = Command::new(program);
                c.args(args).current_dir(cwd);
                Sandboxed {
                    cmd: c,
                    _cgroup: None,
                }
            }
            Sandbox::Bwrap {
                bwrap,
                limits,
                visible,
            } => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--as={}", limits.memory))
                    .arg(format!("--cpu={}", limits.cpu_seconds))
                    .arg(format!("--fsize={}", limits.file_size))
                    .arg(format!("--nproc={}", limits.processes))
                    .arg("--");
                let cgroup = PidsCgroup::create(limits.processes);
                if let Some(cg) = &cgroup {
                    // Join the cgroup, then become bwrap.
                    c.args([
                        "sh",
                        "-c",
                        "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"",
                        "sh",
                    ]);
                    c.arg(&cg.0);
                }
                c.arg(bwrap).args([
                    "--die-with-parent",
                    "--new-session",
                    "--unshare-net",
                    "--unshare-pid",
                    "--unshare-ipc",
                    "--unshare-uts",
                    "--ro-bind",
                    "/",
                    "/",
                    "--dev",
                    "/dev",
                    "--proc",
                    "/proc",
                    "--tmpfs",
                    "/tmp",
                ]);
                // What the private /tmp would hide: the folders the command
                // needs, its working folder and its program's folder.
                let tmp = Path::new("/tmp");
                let mut shown: Vec<PathBuf> = visible.clone();
                shown.push(cwd.to_path_buf());
                if let Some(dir) = program.parent() {
                    shown.push(dir.to_path_buf());
                }
                for p in shown.iter().filter(|p| p.starts_with(tmp) && p.exists()) {
                    c.arg("--ro-bind").arg(p).arg(p);
                }
                for w in writable {
                    c.arg("--bind").arg(w).arg(w);
                }
                c.arg("--chdir")
                    .arg(cwd)
                    .args(["--setenv", "TMPDIR", "/tmp", "--"])
                    .arg(program)
                    .args(args);
                Sandboxed {
                    cmd: c,
                    _cgroup: cgroup,
                }
            }
        }
    }
}

/// A sandboxed command (a [`Command`] to run) and what it needs while it
/// runs: dropping it removes its cgroup, so keep it until the command ends.
#[derive(Debug)]
pub struct Sandboxed {
    cmd: Command,
    _cgroup: Option<PidsCgroup>,
}

impl std::ops::Deref for Sandboxed {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.cmd
    }
}

impl std::ops::DerefMut for Sandboxed {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.cmd
    }
}

/// A cgroup with `pids.max`, for root (who is exempt from `RLIMIT_NPROC`),
/// named `<grader pid>-<random>`, one per command. The command's
/// [`Sandboxed`] removes it when dropped; one that still had processes then
/// is removed by a later grader once this one has ended. (A grader never
/// removes another command's cgroup of its own: that one may not have been
/// joined yet.)
#[derive(Debug)]
struct PidsCgroup(PathBuf);

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        // The processes of a command that was killed take a moment to go.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl PidsCgroup {
    fn base() -> Option<PathBuf> {
        // cgroup v1 has a pids hierarchy of its own; v2 one tree for all.
        let v1 = Path::new("/sys/fs/cgroup/pids");
        let v2 = Path::new("/sys/fs/cgroup");
        let base = if v1.join("cgroup.procs").is_file() {
            v1.to_path_buf()
        } else if std::fs::read_to_string(v2.join("cgroup.subtree_control"))
            .is_ok_and(|s| s.split_whitespace().any(|c| c == "pids"))
        {
            v2.to_path_buf()
        } else {
            return None;
        };
        Some(base.join("dl-grade"))
    }

    fn create(max: u64) -> Option<PidsCgroup> {
        if !nix::unistd::geteuid().is_root() {
            return None;
        }
        let base = Self::base()?;
        Self::sweep(&base);
        std::fs::create_dir_all(&base).ok()?;
        let dir = base.join(format!(
            "{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir(&dir).ok()?;
        if std::fs::write(dir.join("pids.max"), max.to_string()).is_err() {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(PidsCgroup(dir))
    }

    /// Removes the empty cgroups of graders that have ended (`rmdir` fails
    /// on a cgroup that still has processes).
    fn sweep(base: &Path) {
        let me = std::process::id();
        for e in std::fs::read_dir(base).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
                continue;
            };
            let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
                == Err(nix::errno::Errno::ESRCH);
            if pid as u32 != me && gone {
                let _ = std::fs::remove_dir(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// These tests need bubblewrap; without it they say so and check nothing else.
    fn sandbox() -> Option<Sandbox> {
        match Sandbox::detect(false, Limits::default()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    }

    fn sh(sb: &Sandbox, script: &str, writable: &[&Path]) -> (bool, String) {
        let o = sb
            .command(
                Path::new("sh"),
                &["-c".into(), script.into()],
                writable,
                Path::new("/"),
            )
            .output()
            .unwrap();
        (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }

    #[test]
    fn the_sandbox_has_no_network_and_writes_only_where_allowed() {
        let Some(sb) = sandbox() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("mine");
        let other = tmp.path().join("other");
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        let (ok, out) = sh(
            &sb,
            &format!("echo x > {}/a && echo written", mine.display()),
            &[&mine],
        );
        assert!(ok && out.contains("written"), "{out}");
        let (ok, _) = sh(&sb, &format!("echo x > {}/a", other.display()), &[&mine]);
        assert!(!ok, "wrote outside its folder");
        assert!(!other.join("a").exists());
        // A folder under /tmp is hidden by the private /tmp unless it is shown,
        // and then only for reading.
        std::fs::write(other.join("b"), "seen").unwrap();
        let cat = format!("cat {}/b", other.display());
        if other.starts_with("/tmp") {
            assert!(
                !sh(&sb, &cat, &[]).0,
                "the private /tmp hides other folders"
            );
        }
        let shown = sb.clone().showing(&[&other]);
        let (ok, out) = sh(&shown, &cat, &[]);
        assert!(ok && out.contains("seen"), "{out}");
        assert!(!sh(&shown, &format!("echo x > {}/c", other.display()), &[]).0);
        // Only the loopback interface, and it is down: no socket reaches anywhere.
        let (_, out) = sh(&sb, "cat /proc/net/dev", &[]);
        let ifaces: Vec<&str> = out
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        assert_eq!(ifaces, ["lo"], "{out}");
        // The sandbox's /tmp is its own.
        std::fs::write(
            std::env::temp_dir().join(format!("dl-grade-probe-{}", std::process::id())),
            "x",
        )
        .unwrap();
        let (_, out) = sh(&sb, "ls /tmp | wc -l", &[]);
        assert_eq!(out.trim(), "0", "{out}");
        let _ = std::fs::remove_file(
            std::env::temp_dir().join(format!("dl-grade-probe-{}", std::process::id())),
        );
    }

    #[test]
    fn the_sandbox_limits_processes_and_memory() {
        let Some(Sandbox::Bwrap { bwrap, .. }) = sandbox() else {
            return;
        };
        let limits = Limits {
            processes: 40,
            memory: 1 << 30,
            ..Limits::default()
        };
        let sb = Sandbox::Bwrap {
            bwrap,
            limits,
            visible: Vec::new(),
        };
        // 100 processes asked for; far fewer can start (where the limit applies).
        let fork = "import os, time\nn = 0\nfor i in range(100):\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n    if pid == 0:\n        time.sleep(2)\n        os._exit(0)\n    n += 1\nprint(n)\n";
        let o = sb
            .command(
                Path::new("python3"),
                &["-c".into(), fork.into()],
                &[],
                Path::new("/"),
            )
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let n: usize = out.trim().parse().unwrap_or(999);
        let root = nix::unistd::geteuid().is_root();
        if !root || PidsCgroup::base().is_some() {
            assert!(n < 40, "{n} processes started under a limit of 40: {out}");
        } else {
            eprintln!("root without a pids cgroup: the process limit does not apply ({n} started)");
        }
        // 2 GiB in one allocation under a 1 GiB address-space limit.
        let o = sb
            .command(
                Path::new("python3"),
                &["-c".into(), "b = bytearray(2 << 30)".into()],
                &[],
                Path::new("/"),
            )
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains("MemoryError"), "{err}");
    }

    /// Commands of one grader overlap (several gradings in one process): the
    /// end of one must not take away the cgroup of another that has not
    /// started yet, and none is left behind.
    #[test]
    fn overlapping_commands_keep_their_own_cgroups() {
        let Some(sb) = sandbox() else { return };
        let first = sb.command(Path::new("true"), &[], &[], Path::new("/"));
        let mut second = sb.command(Path::new("true"), &[], &[], Path::new("/"));
        let groups = |c: &Sandboxed| c._cgroup.as_ref().map(|g| g.0.clone());
        let (a, b) = (groups(&first), groups(&second));
        let mut first = first;
        assert!(first.status().unwrap().success());
        drop(first);
        let st = second.status().unwrap();
        assert!(st.success(), "the second command could not start: {st}");
        drop(second);
        for g in [a, b].into_iter().flatten() {
            assert!(!g.exists(), "{} was left behind", g.display());
        }
    }
}
