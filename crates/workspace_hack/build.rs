//! Present so that `[build-dependencies]` count: they pin the features of
//! the compile-time crates (build scripts, derive macros) as well.
fn main() {}
