//! How far a benchmark is from what the machine allows: the FLOPs of a step,
//! the rate achieved, and the machine's own matrix-product peak for the same
//! precision, measured in the same run.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::precision::{with_precision, Precision};

/// Side of the square matrices of [`matmul_peak`]: large enough for the
/// libraries' fastest kernels, small enough to time in well under a second.
pub const PEAK_SIZE: i64 = 2048;

/// GFLOP/s of an `n × n` by `n × n` matrix product (2n³ FLOPs) on `device` in
/// precision `p`, best of `repeats` after one warm-up product.
pub fn matmul_peak(p: Precision, device: Device, n: i64, repeats: usize) -> f64 {
    let (a, b) = crate::with_seed(0, || {
        (
            Tensor::randn([n, n], (Kind::Float, device)),
            Tensor::randn([n, n], (Kind::Float, device)),
        )
    });
    with_precision(p, device, || {
        // Under bf16 autocast the operands are cast on every call, as in a
        // training step; cast them once here so that only the product counts.
        let (a, b) = match p {
            Precision::Bf16 => (a.to_kind(Kind::BFloat16), b.to_kind(Kind::BFloat16)),
            _ => (a.shallow_clone(), b.shallow_clone()),
        };
        let sync = || {
            if let Device::Cuda(i) = device {
                tch::Cuda::synchronize(i as i64);
            }
        };
        let _ = a.matmul(&b);
        sync();
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let t0 = Instant::now();
            let c = a.matmul(&b);
            sync();
            best = best.min(t0.elapsed().as_secs_f64());
            drop(c);
        }
        2.0 * (n as f64).powi(3) / best / 1e9
    })
}

/// Side of the matrices of [`speed_vs_fp32`]: a few milliseconds even where
/// a precision has no fast kernel.
pub const PROBE_SIZE: i64 = 256;

/// A quick comparison of a precision's matrix products with fp32's on one
/// device (a [`PROBE_SIZE`]² product, best of 3 each).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct SpeedProbe {
    pub precision: Precision,
    pub gflops: f64,
    pub fp32_gflops: f64,
}

impl SpeedProbe {
    /// How many times faster than fp32 (below 1: slower).
    pub fn speedup(&self) -> f64 {
        self.gflops / self.fp32_gflops
    }

    /// Another precision than fp32 whose products are slower than fp32's
    /// here (a CPU without bf16 instructions computes bf16 products in a
    /// slow fallback).
    pub fn slower_than_fp32(&self) -> bool {
        self.precision != Precision::Fp32 && self.speedup() < 1.0
    }

    /// A warning for a run in this precision when it is
    /// [`slower_than_fp32`](Self::slower_than_fp32), `None` otherwise.
    pub fn warning(&self) -> Option<String> {
        self.slower_than_fp32().then(|| {
            format!(
                "a {n}x{n} matrix product in {p} runs at {g:.1} GFLOP/s on this device against \
                 {f:.1} in fp32 ({x:.0}x slower: no {p} instructions here, so libtorch uses a slow \
                 fallback); training in {p} will be slower than in fp32, which gives the course's numbers",
                n = PROBE_SIZE,
                p = self.precision,
                g = self.gflops,
                f = self.fp32_gflops,
                x = self.fp32_gflops / self.gflops,
            )
        })
    }
}

/// Measures `p` against fp32 with a small product (milliseconds).
pub fn speed_vs_fp32(p: Precision, device: Device) -> SpeedProbe {
    SpeedProbe {
        precision: p,
        gflops: matmul_peak(p, device, PROBE_SIZE, 3),
        fp32_gflops: matmul_peak(Precision::Fp32, device, PROBE_SIZE, 3),
    }
}

/// FLOPs of one forward and backward pass of a stack of linear layers
/// (`sizes`: input to output widths) on one example: 2·in·out for the
/// forward product of each layer, as much again for its weight gradient, and
/// as much again for its input gradient, except the first layer's (its input
/// is the data, which needs no gradient). Biases and activations are left
/// out (they are O(out), not O(in·out)).
pub fn mlp_train_flops(sizes: &[i64]) -> f64 {
    let macs: Vec<f64> = sizes.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let total: f64 = macs.iter().sum();
    let first = macs.first().copied().unwrap_or(0.0);
    2.0 * total + 2.0 * total + 2.0 * (total - first)
}

/// One benchmark's place under the roofline.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Roofline {
    /// FLOPs of the timed work.
    pub flops: f64,
    pub seconds: f64,
    /// flops / seconds, in GFLOP/s.
    pub gflops: f64,
    /// The matrix-product peak measured in the same run, GFLOP/s.
    pub peak_gflops: f64,
    /// gflops as a percentage of the peak.
    pub percent_of_peak: f64,
}

impl Roofline {
    pub fn new(flops: f64, seconds: f64, peak_gflops: f64) -> Roofline {
        let gflops = flops / seconds / 1e9;
        Roofline {
            flops,
            seconds,
            gflops,
            peak_gflops,
            percent_of_peak: 100.0 * gflops / peak_gflops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlp_flops_match_a_hand_count() {
        // 3 → 4 → 2: MACs 12 + 8 = 20. Forward 40, weight gradients 40,
        // input gradients of the second layer only: 2·8 = 16. Total 96.
        assert_eq!(mlp_train_flops(&[3, 4, 2]), 96.0);
        assert_eq!(mlp_train_flops(&[5]), 0.0);
    }

    #[test]
    fn a_peak_is_a_positive_rate_and_a_roofline_its_share() {
        let g = matmul_peak(Precision::Fp32, Device::Cpu, 128, 2);
        assert!(g.is_finite() && g > 0.0, "{g}");
        let r = Roofline::new(2e9, 0.5, 8.0);
        assert_eq!((r.gflops, r.percent_of_peak), (4.0, 50.0));
    }

    #[test]
    fn a_precision_slower_than_fp32_gets_a_warning_with_the_figures() {
        let slow = SpeedProbe {
            precision: Precision::Bf16,
            gflops: 2.0,
            fp32_gflops: 170.0,
        };
        let w = slow.warning().expect("85x slower warns");
        assert!(
            w.contains("2.0 GFLOP/s") && w.contains("170.0 in fp32") && w.contains("85x"),
            "{w}"
        );
        let fast = SpeedProbe {
            gflops: 600.0,
            ..slow
        };
        assert_eq!(fast.warning(), None);
        let fp32 = SpeedProbe {
            precision: Precision::Fp32,
            ..slow
        };
        assert_eq!(fp32.warning(), None);
        // The probe itself measures both sides.
        let p = speed_vs_fp32(Precision::Fp32, Device::Cpu);
        assert!(p.gflops > 0.0 && p.fp32_gflops > 0.0, "{p:?}");
    }
}
