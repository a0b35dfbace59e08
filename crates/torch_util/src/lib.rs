//! Shared glue between the labs and libtorch (`tch`).
//!
//! - [`DeviceArg`]: the `--device auto|cpu|cuda` flag every tch lab takes, and
//!   [`DeviceArg::resolve`], which fails clearly when CUDA is asked for and absent;
//! - conversions between `ndarray` arrays and tensors (f32 on the device);
//! - [`confusion_matrix`] on tensors, built from one-hot sums without autograd.

pub mod knn;
pub mod optim;
pub mod precision;
pub mod roofline;

pub use knn::{nearest_neighbors, SquaredDistances};
pub use optim::Optimizer;
pub use precision::{with_precision, Precision};

use ndarray::{Array2, ArrayView2};
use tch::{Device, Kind, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum TorchError {
    #[error(
        "--device cuda was requested, but libtorch sees no CUDA GPU here \
         (tch::Cuda::is_available() = false); use --device auto or --device cpu"
    )]
    CudaUnavailable,
    #[error("--threads must be at least 1, got {0}")]
    BadThreads(i32),
    #[error("tensor has shape {found:?}, expected {expected}")]
    Shape {
        found: Vec<i64>,
        expected: &'static str,
    },
    #[error("label tensor holds {value} at index {index}; class indices are ≥ 0")]
    NegativeLabel { index: usize, value: i64 },
    #[error("k = {k} nearest neighbours need k ≥ 1 and more than k points, got {n}")]
    BadNeighbourCount { k: usize, n: usize },
    #[error("tensor operation failed: {0}")]
    Torch(#[from] tch::TchError),
}

/// The flags every libtorch lab shares, flattened into its arguments:
/// where to run and how many CPU threads libtorch uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct TorchArgs {
    /// Where to run: auto uses CUDA when libtorch sees a GPU
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
    /// CPU threads for libtorch's tensor operations [default: the lab's own:
    /// 1 for the small 2-D problems (pt_deep, pt_logreg, ksvm_wrap,
    /// embeddings), libtorch's choice (one per core) for the others]. Idle
    /// threads sleep instead of spinning (OMP_WAIT_POLICY=PASSIVE unless you
    /// set it), so other jobs on the cores slow a run down without stalling it
    #[arg(long)]
    pub threads: Option<i32>,
}

impl TorchArgs {
    /// Sets libtorch's threads (`--threads`, else `lab_default`, else
    /// libtorch's own choice) and resolves the device, before any work.
    pub fn setup(&self, lab_default: Option<i32>) -> Result<Device, TorchError> {
        set_threads(self.threads.or(lab_default))?;
        self.device.resolve()
    }
}

/// Sets libtorch's CPU threads when asked (at least 1); returns the number in use.
pub fn set_threads(threads: Option<i32>) -> Result<i32, TorchError> {
    if let Some(t) = threads {
        if t < 1 {
            return Err(TorchError::BadThreads(t));
        }
        tch::set_num_threads(t);
    }
    Ok(tch::get_num_threads())
}

/// Where to run: `auto` picks CUDA when libtorch sees a GPU, the CPU otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceArg {
    #[default]
    Auto,
    Cpu,
    Cuda,
}

impl DeviceArg {
    pub fn resolve(self) -> Result<Device, TorchError> {
        match self {
            DeviceArg::Cpu => Ok(Device::Cpu),
            DeviceArg::Auto => Ok(Device::cuda_if_available()),
            DeviceArg::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
            DeviceArg::Cuda => Err(TorchError::CudaUnavailable),
        }
    }
}

/// Runs `init` with libtorch's global generator seeded to `seed`, holding a
/// process-wide lock while it runs. Weight initialisation draws from that one
/// global generator, so two threads that seed and draw at once (tests run in
/// parallel) would interleave their draws; every seeded initialisation that
/// goes through here gets exactly the draws of its seed.
pub fn with_seed<T>(seed: u64, init: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    tch::manual_seed(seed as i64);
    init()
}

/// "cpu" or "cuda:N", as written to metrics.json.
pub fn device_name(d: Device) -> String {
    match d {
        Device::Cuda(i) => format!("cuda:{i}"),
        Device::Mps => "mps".into(),
        Device::Vulkan => "vulkan".into(),
        _ => "cpu".into(),
    }
}

/// One line that says what libtorch sees: device used, CUDA devices, threads.
pub fn device_report(d: Device) -> String {
    format!(
        "device: {} (CUDA available: {}, CUDA devices: {}, CPU threads: {}, idle threads: {})",
        device_name(d),
        tch::Cuda::is_available(),
        tch::Cuda::device_count(),
        tch::get_num_threads(),
        labkit::wait_policy()
    )
}

/// An N × D f64 array as an N × D f32 tensor on `device`.
pub fn to_tensor(x: ArrayView2<f64>, device: Device) -> Tensor {
    let (n, d) = x.dim();
    let flat: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    Tensor::from_slice(&flat)
        .view([n as i64, d as i64])
        .to_device(device)
}

/// An N × D f64 array as an N × D f64 tensor on `device` (no rounding to f32).
pub fn to_tensor_f64(x: ArrayView2<f64>, device: Device) -> Tensor {
    let (n, d) = x.dim();
    let flat: Vec<f64> = x.iter().copied().collect();
    Tensor::from_slice(&flat)
        .view([n as i64, d as i64])
        .to_device(device)
}

/// An N × D f32 array as a tensor on `device`.
pub fn to_tensor_f32(x: ArrayView2<f32>, device: Device) -> Tensor {
    let (n, d) = x.dim();
    let std = x.as_standard_layout();
    let flat = std
        .as_slice()
        .map(|s| s.to_vec())
        .unwrap_or_else(|| x.iter().copied().collect());
    Tensor::from_slice(&flat)
        .view([n as i64, d as i64])
        .to_device(device)
}

/// Class indices as an i64 tensor on `device`.
pub fn labels_to_tensor(y: &[usize], device: Device) -> Tensor {
    let v: Vec<i64> = y.iter().map(|&c| c as i64).collect();
    Tensor::from_slice(&v).to_device(device)
}

/// A 2-D tensor (any float kind, any device) as an f64 array on the host.
pub fn to_array2(t: &Tensor) -> Result<Array2<f64>, TorchError> {
    let size = t.size();
    if size.len() != 2 {
        return Err(TorchError::Shape {
            found: size,
            expected: "a 2-D tensor",
        });
    }
    let flat = t
        .to_kind(Kind::Double)
        .to_device(Device::Cpu)
        .contiguous()
        .view([-1]);
    let v = Vec::<f64>::try_from(&flat)?;
    let (rows, cols) = (size[0].max(0) as usize, size[1].max(0) as usize);
    if v.len() != rows * cols {
        return Err(TorchError::Shape {
            found: size,
            expected: "as many values as its shape says",
        });
    }
    Ok(Array2::from_shape_fn((rows, cols), |(i, j)| {
        v[i * cols + j]
    }))
}

/// A 1-D integer tensor as class indices on the host.
pub fn to_labels(t: &Tensor) -> Result<Vec<usize>, TorchError> {
    let v = Vec::<i64>::try_from(
        &t.to_kind(Kind::Int64)
            .to_device(Device::Cpu)
            .contiguous()
            .view([-1]),
    )?;
    v.into_iter()
        .enumerate()
        .map(|(index, value)| {
            usize::try_from(value).map_err(|_| TorchError::NegativeLabel { index, value })
        })
        .collect()
}

/// The C × C confusion matrix (rows true, columns predicted) of two label
/// tensors, computed on their device as `onehot(true)ᵀ · onehot(pred)` without autograd.
pub fn confusion_matrix(pred: &Tensor, truth: &Tensor, n_classes: i64) -> Tensor {
    tch::no_grad(|| {
        let p = pred
            .to_kind(Kind::Int64)
            .one_hot(n_classes)
            .to_kind(Kind::Float);
        let t = truth
            .to_kind(Kind::Int64)
            .one_hot(n_classes)
            .to_kind(Kind::Float);
        t.transpose(0, 1).matmul(&p).to_kind(Kind::Int64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_array_tensor() {
        let a = ndarray::arr2(&[[1.0, 2.0, 3.0], [4.0, 5.5, -6.0]]);
        let t = to_tensor(a.view(), Device::Cpu);
        assert_eq!(t.size(), vec![2, 3]);
        assert_eq!(t.kind(), Kind::Float);
        assert_eq!(to_array2(&t).unwrap(), a);
        assert!(matches!(
            to_array2(&t.view([-1])),
            Err(TorchError::Shape { .. })
        ));
        let at = to_tensor(a.t(), Device::Cpu);
        assert_eq!(to_array2(&at).unwrap(), a.t().to_owned());
        // f64 keeps what f32 would round: 0.1 + 2⁻³⁰ is not an f32.
        let fine = ndarray::arr2(&[[0.1 + 2f64.powi(-30)], [1.0]]);
        let t = to_tensor_f64(fine.t(), Device::Cpu);
        assert_eq!((t.kind(), t.size()), (Kind::Double, vec![1, 2]));
        assert_eq!(to_array2(&t).unwrap(), fine.t().to_owned());
        assert_ne!(
            to_array2(&to_tensor(fine.view(), Device::Cpu)).unwrap(),
            fine
        );
    }

    #[test]
    fn tensor_confusion_matches_metrics_convention() {
        let truth = labels_to_tensor(&[0, 0, 0, 1, 1, 2, 2, 2], Device::Cpu);
        let pred = labels_to_tensor(&[0, 1, 0, 1, 2, 2, 2, 0], Device::Cpu);
        let cm = confusion_matrix(&pred, &truth, 3);
        let v = Vec::<i64>::try_from(&cm.view([-1])).unwrap();
        assert_eq!(v, vec![2, 1, 0, 0, 1, 1, 1, 0, 2]);
    }

    #[test]
    fn cpu_always_resolves_and_cuda_fails_clearly_without_gpu() {
        assert_eq!(DeviceArg::Cpu.resolve().unwrap(), Device::Cpu);
        let neg = Tensor::from_slice(&[1i64, -2]);
        assert!(matches!(
            to_labels(&neg),
            Err(TorchError::NegativeLabel {
                index: 1,
                value: -2
            })
        ));
        if !tch::Cuda::is_available() {
            assert!(matches!(
                DeviceArg::Cuda.resolve(),
                Err(TorchError::CudaUnavailable)
            ));
            assert_eq!(DeviceArg::Auto.resolve().unwrap(), Device::Cpu);
        } else {
            assert_eq!(DeviceArg::Auto.resolve().unwrap(), Device::Cuda(0));
        }
    }
}
