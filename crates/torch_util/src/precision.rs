//! Mixed precision (`--precision fp32|bf16|tf32`), as PyTorch's autocast does
//! it: inside [`with_precision`], matrix products and linear layers run in
//! bfloat16 while the weights, the losses and the optimiser's state stay
//! fp32 (autograd casts the gradients back to each weight's own type).
//!
//! libtorch's autocast switch for the CPU is not in `tch`'s C API (only the
//! CUDA one is), so the few functions needed are declared here by their C++
//! names in `libtorch_cpu` (the libtorch that `./dl setup` pins). They take
//! only an 8-bit device type, an 8-bit scalar type and a bool, which pass the
//! same way as in C. The tests check that the switch really changes what a
//! linear layer computes in, and restores what was there before.

// The only unsafe code of the workspace: calls into libtorch's autocast state.
#![allow(unsafe_code)]

use serde::{Deserialize, Serialize};
use tch::Device;
#[cfg(test)]
use tch::{Kind, Tensor};

/// Number format of the matrix products.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats everywhere: the course's numbers.
    #[default]
    Fp32,
    /// Matrix products in bfloat16 (8-bit mantissa) with fp32 weights,
    /// losses and optimiser state.
    Bf16,
    /// CUDA only: fp32 tensors, matrix products on the tensor cores' tf32
    /// (10-bit mantissa). On the CPU it is refused.
    Tf32,
}

impl Precision {
    /// The name used in flags and in saved results.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Bf16 => "bf16",
            Precision::Tf32 => "tf32",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `c10::DeviceType` values.
const CPU: i8 = 0;
const CUDA: i8 = 1;
/// `c10::ScalarType::BFloat16`.
const BFLOAT16: i8 = 15;

unsafe extern "C" {
    #[link_name = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb"]
    fn at_set_autocast_enabled(device: i8, enabled: bool);
    #[link_name = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE"]
    fn at_is_autocast_enabled(device: i8) -> bool;
    #[link_name = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"]
    fn at_set_autocast_dtype(device: i8, dtype: i8);
    #[link_name = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE"]
    fn at_get_autocast_dtype(device: i8) -> i8;
    #[link_name = "_ZN2at8autocast17increment_nestingEv"]
    fn at_autocast_increment_nesting() -> i32;
    #[link_name = "_ZN2at8autocast17decrement_nestingEv"]
    fn at_autocast_decrement_nesting() -> i32;
    #[link_name = "_ZN2at8autocast25is_autocast_cache_enabledEv"]
    fn at_is_autocast_cache_enabled() -> bool;
    #[link_name = "_ZN2at8autocast26set_autocast_cache_enabledEb"]
    fn at_set_autocast_cache_enabled(enabled: bool);
    #[link_name = "_ZN2at8autocast11clear_cacheEv"]
    fn at_autocast_clear_cache();
    #[link_name = "_ZN2at13globalContextEv"]
    fn at_global_context() -> *mut std::ffi::c_void;
    #[link_name = "_ZN2at7Context18setAllowTF32CuBLASEb"]
    fn at_context_set_allow_tf32_cublas(ctx: *mut std::ffi::c_void, allow: bool);
}

/// Why a precision cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PrecisionError {
    #[error("precision tf32 needs a CUDA device (it is a tensor-core format); on the CPU use fp32 or bf16")]
    Tf32OnCpu,
}

/// Checks that `p` can run on `device`, before any work starts.
pub fn check(p: Precision, device: Device) -> Result<(), PrecisionError> {
    match (p, device) {
        (Precision::Tf32, Device::Cpu) => Err(PrecisionError::Tf32OnCpu),
        _ => Ok(()),
    }
}

/// Runs `f` with the matrix products of `device` in precision `p`, and puts
/// back what was set before (also when `f` panics). fp32 changes nothing.
/// `f` may train: weights updated inside are cast afresh at their next use.
pub fn with_precision<T>(p: Precision, device: Device, f: impl FnOnce() -> T) -> T {
    let dev = match device {
        Device::Cpu => CPU,
        _ => CUDA,
    };
    match p {
        Precision::Fp32 => f(),
        Precision::Bf16 => {
            struct Restore {
                dev: i8,
                enabled: bool,
                dtype: i8,
                cache: bool,
            }
            impl Drop for Restore {
                fn drop(&mut self) {
                    // SAFETY: plain calls into libtorch's thread-local
                    // autocast state, with valid enum values.
                    unsafe {
                        if at_autocast_decrement_nesting() == 0 {
                            at_autocast_clear_cache();
                        }
                        at_set_autocast_enabled(self.dev, self.enabled);
                        at_set_autocast_dtype(self.dev, self.dtype);
                        at_set_autocast_cache_enabled(self.cache);
                    }
                }
            }
            // SAFETY: as above.
            let _restore = unsafe {
                let r = Restore {
                    dev,
                    enabled: at_is_autocast_enabled(dev),
                    dtype: at_get_autocast_dtype(dev),
                    cache: at_is_autocast_cache_enabled(),
                };
                // Autocast keeps the bf16 copy of each weight until the
                // outermost region ends. A region here may hold many
                // optimiser steps (a whole epoch), so that copy would go
                // stale after the first step: no cache, every product
                // casts the weight as it is now.
                at_set_autocast_cache_enabled(false);
                at_set_autocast_enabled(dev, true);
                at_set_autocast_dtype(dev, BFLOAT16);
                at_autocast_increment_nesting();
                r
            };
            f()
        }
        Precision::Tf32 => {
            struct Restore(*mut std::ffi::c_void);
            impl Drop for Restore {
                fn drop(&mut self) {
                    // SAFETY: the global context lives as long as libtorch.
                    unsafe { at_context_set_allow_tf32_cublas(self.0, false) }
                }
            }
            // SAFETY: as above.
            let _restore = unsafe {
                let ctx = at_global_context();
                at_context_set_allow_tf32_cublas(ctx, true);
                Restore(ctx)
            };
            f()
        }
    }
}

/// Whether autocast is on for `device` in this thread.
#[cfg(test)]
fn autocast_enabled(device: Device) -> bool {
    let dev = match device {
        Device::Cpu => CPU,
        _ => CUDA,
    };
    // SAFETY: a read of libtorch's thread-local autocast state.
    unsafe { at_is_autocast_enabled(dev) }
}

/// The kind a linear layer's output has under `p` on `device` (bf16 for
/// bf16; else fp32): what a test checks the switch by.
#[cfg(test)]
fn matmul_kind(p: Precision, device: Device) -> Kind {
    with_precision(p, device, || {
        let a = Tensor::ones([2, 2], (Kind::Float, device));
        a.matmul(&a).kind()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_runs_matrix_products_in_bfloat16_and_restores_fp32_after() {
        let d = Device::Cpu;
        assert!(!autocast_enabled(d));
        assert_eq!(matmul_kind(Precision::Fp32, d), Kind::Float);
        assert_eq!(matmul_kind(Precision::Bf16, d), Kind::BFloat16);
        assert!(!autocast_enabled(d));
        assert_eq!(matmul_kind(Precision::Fp32, d), Kind::Float);
        // nested, and restored after a panic inside
        with_precision(Precision::Bf16, d, || {
            assert!(autocast_enabled(d));
            assert_eq!(matmul_kind(Precision::Bf16, d), Kind::BFloat16);
            assert!(autocast_enabled(d));
        });
        let r =
            std::panic::catch_unwind(|| with_precision(Precision::Bf16, d, || panic!("inside")));
        assert!(r.is_err());
        assert!(!autocast_enabled(d));
    }

    #[test]
    fn bf16_keeps_fp32_weights_and_gradients_and_stays_near_fp32() {
        let d = Device::Cpu;
        let (x, mut w) = crate::with_seed(5, || {
            (
                Tensor::randn([64, 256], (Kind::Float, d)),
                Tensor::randn([256, 32], (Kind::Float, d)).set_requires_grad(true),
            )
        });
        let mut run = |p| {
            with_precision(p, d, || {
                let y = x.matmul(&w).relu();
                let loss = y.to_kind(Kind::Float).square().mean(Kind::Float);
                w.zero_grad();
                loss.backward();
                (y.to_kind(Kind::Float), w.grad().copy())
            })
        };
        let (y32, g32) = run(Precision::Fp32);
        let (y16, g16) = run(Precision::Bf16);
        assert_eq!(w.kind(), Kind::Float);
        assert_eq!(g16.kind(), Kind::Float);
        // bf16 keeps 8 significant bits: relative error of a 256-term
        // product about 2^-8; the bound below is a few times that.
        let rel =
            |a: &Tensor, b: &Tensor| (a - b).norm().double_value(&[]) / b.norm().double_value(&[]);
        let (ey, eg) = (rel(&y16, &y32), rel(&g16, &g32));
        assert!(ey > 0.0 && ey < 0.02, "forward relative error {ey}");
        assert!(eg > 0.0 && eg < 0.03, "gradient relative error {eg}");
    }

    #[test]
    fn a_weight_changed_inside_a_bf16_region_is_used_as_changed() {
        let d = Device::Cpu;
        let x = Tensor::ones([1, 4], (Kind::Float, d));
        let mut w = Tensor::ones([4, 1], (Kind::Float, d)).set_requires_grad(true);
        let (before, after) = with_precision(Precision::Bf16, d, || {
            let before = x.matmul(&w).double_value(&[0, 0]);
            tch::no_grad(|| {
                let _ = w.g_mul_scalar_(2.0);
            });
            (before, x.matmul(&w).double_value(&[0, 0]))
        });
        assert_eq!((before, after), (4.0, 8.0));
        let _ = &mut w;
    }

    #[test]
    fn tf32_is_refused_on_the_cpu() {
        assert_eq!(
            check(Precision::Tf32, Device::Cpu),
            Err(PrecisionError::Tf32OnCpu)
        );
        assert_eq!(check(Precision::Bf16, Device::Cpu), Ok(()));
        assert_eq!(check(Precision::Fp32, Device::Cpu), Ok(()));
    }
}
