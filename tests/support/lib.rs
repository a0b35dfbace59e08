//! Helpers shared by the cross-crate tests in `tests/`.

use std::path::PathBuf;

/// A fresh, empty temporary folder for one test.
pub fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dl-labs-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temporary folder");
    d
}

/// libtorch has one global random generator (`tch::manual_seed`). Tests that
/// seed it and expect a given initialisation hold this lock, so that tests
/// running in parallel threads do not re-seed it under them.
pub fn torch_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
