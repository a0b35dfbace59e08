//! How libtorch's idle worker threads wait: asleep, unless the user says
//! otherwise.

/// The environment variable that tells the OpenMP runtime under libtorch
/// how its idle worker threads wait.
pub const WAIT_POLICY: &str = "OMP_WAIT_POLICY";

/// libtorch's worker threads (OpenMP) spin while they wait for work, by
/// default. On a machine whose cores are busy with other processes that
/// spinning takes the time the working threads need: a quick autoencoder run
/// took 5.4 times as long with two busy processes beside it, against 2.3 times
/// with passive waiting, and the same time on a quiet machine. The runtime
/// reads `OMP_WAIT_POLICY` when it is loaded, before `main`, so when the
/// variable is not set the binary starts itself again once with
/// `OMP_WAIT_POLICY=PASSIVE` (same arguments). Set the variable yourself
/// (for example `OMP_WAIT_POLICY=ACTIVE`) to choose otherwise. If the
/// restart fails the run goes on as it is.
pub fn sleeping_workers() {
    if std::env::var_os(WAIT_POLICY).is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut cmd = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            cmd.arg0(arg0);
        }
        // `exec` only returns when it could not start the program.
        let _ = cmd.args(args).env(WAIT_POLICY, "PASSIVE").exec();
    }
}

/// How idle worker threads wait in this process, for run reports:
/// `OMP_WAIT_POLICY`'s value, or "spin (OMP_WAIT_POLICY unset)".
pub fn wait_policy() -> String {
    match std::env::var(WAIT_POLICY) {
        Ok(v) => v.to_lowercase(),
        Err(_) => format!("spin ({WAIT_POLICY} unset)"),
    }
}
