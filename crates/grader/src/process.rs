//! A child process with a time limit: it runs in a process group of its own,
//! and when the time is up the whole group is killed (a sandbox, or anything
//! a test started, goes with it).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a process ended and what it printed.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    pub stdout: String,
    pub stderr: String,
    /// The exit code; `None` when killed by a signal or stopped at the limit.
    pub status: Option<i32>,
    pub timed_out: bool,
    pub seconds: f64,
}

impl Finished {
    /// Exited by itself with code 0.
    pub fn success(&self) -> bool {
        self.status == Some(0) && !self.timed_out
    }
}

/// Runs `cmd` to its end or for `timeout`, whichever comes first, capturing
/// stdout and stderr.
pub fn run_limited(cmd: &mut Command, timeout: Duration) -> std::io::Result<Finished> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait()? {
            Some(s) => break Some(s),
            None if start.elapsed() >= timeout => break None,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let timed_out = status.is_none();
    if timed_out {
        kill_group(child.id());
        let _ = child.kill();
        let _ = child.wait();
    }
    let seconds = start.elapsed().as_secs_f64();
    // A grandchild may still hold a pipe open; the group is killed above, so
    // the readers end.
    Ok(Finished {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        status: status.and_then(|s| s.code()),
        timed_out,
        seconds,
    })
}

/// SIGKILL to the process group whose leader is `pid`.
fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        if pid > 1 {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn output_status_and_the_time_limit() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo out; echo err >&2; exit 3"]);
        let f = run_limited(&mut c, Duration::from_secs(10)).unwrap();
        assert_eq!(
            (f.stdout.as_str(), f.stderr.as_str(), f.status),
            ("out\n", "err\n", Some(3))
        );
        assert!(!f.success() && !f.timed_out);
        // A hanging command and the helper it started are both stopped.
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("helper.pid");
        let mut c = Command::new("sh");
        c.arg("-c").arg(format!(
            "sleep 60 & echo $! > {}; echo started; wait",
            pid_file.display()
        ));
        let t0 = Instant::now();
        let f = run_limited(&mut c, Duration::from_secs(1)).unwrap();
        assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
        assert!(f.timed_out && f.status.is_none() && f.stdout.contains("started"));
        let helper = std::fs::read_to_string(&pid_file).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let proc = Path::new("/proc").join(helper.trim());
        let alive = proc.exists()
            && !std::fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z "));
        assert!(!alive, "the helper process {} survived", helper.trim());
    }
}
