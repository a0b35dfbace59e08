//! Build-script helper shared by every crate that links libtorch through `tch`.
//!
//! Two things go wrong with a plain `tch` build, and this fixes both:
//!
//! 1. **CUDA silently lost.** Nothing in the Rust code references a symbol of
//!    `libtorch_cuda.so`, so the linker (with `--as-needed`) drops it, and
//!    `tch::Cuda::is_available()` then reports `false` even on a GPU machine.
//!    We link it explicitly with `--no-as-needed` whenever the libtorch in use
//!    has it (a CPU-only libtorch does not, and then nothing is added).
//! 2. **Library path at run time.** The binaries get an rpath to libtorch's
//!    `lib/` folder, so they start without `LD_LIBRARY_PATH`.
//!
//! Usage, in a crate's `build.rs`:
//! ```no_run
//! torch_build::link_libtorch();
//! ```
//! libtorch is located through the `LIBTORCH` variable, which `./dl setup`
//! writes into the git-ignored `.cargo/config.toml`.

use std::path::PathBuf;

/// Emits the cargo directives described in the crate docs.
pub fn link_libtorch() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=DL_LABS_NO_CUDA_LINK");
    let Some(root) = std::env::var_os("LIBTORCH").map(PathBuf::from) else {
        // torch-sys will explain how to point it at libtorch; nothing to add here.
        return;
    };
    let lib = root.join("lib");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    let has_cuda = lib.join("libtorch_cuda.so").exists();
    if has_cuda && std::env::var_os("DL_LABS_NO_CUDA_LINK").is_none() {
        println!("cargo:rustc-link-arg=-L{}", lib.display());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}
