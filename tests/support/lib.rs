//! Helpers shared by the cross-crate tests in `tests/`.

/// libtorch has one global random generator (`tch::manual_seed`). Tests that
/// seed it and expect a given initialisation hold this lock, so that tests
/// running in parallel threads do not re-seed it under them.
pub fn torch_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
