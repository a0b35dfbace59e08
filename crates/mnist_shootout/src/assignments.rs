//! The nine assignments. Each trains what it needs, writes its figures and
//! returns its numbers; [`run`] collects them into `metrics.json` and a
//! comparison table.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use ::data::plot::{bar_chart, image_grid, line_plot, ImageMap, Series};
use labkit::{PlotFormat, RunDir};
use pt_deep::{Activation, PTDeep};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use serde_json::{json, Value};
use tch::{nn::VarStore, Device, Kind, Tensor};

use crate::data::{Dataset, Split};
use crate::train::{
    evaluate, evaluate_logits, logits, restore, snapshot, train_mb, Eval, Optim, TrainSpec,
};
use crate::ShootoutError;

/// The assignments, in the course's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    Weights,
    Configs,
    EarlyStopping,
    TrainMb,
    Adam,
    AdamDecay,
    Random,
    Svm,
    Batchnorm,
}

impl Assignment {
    pub const ALL: [Assignment; 9] = [
        Assignment::Weights,
        Assignment::Configs,
        Assignment::EarlyStopping,
        Assignment::TrainMb,
        Assignment::Adam,
        Assignment::AdamDecay,
        Assignment::Random,
        Assignment::Svm,
        Assignment::Batchnorm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Assignment::Weights => "weights",
            Assignment::Configs => "configs",
            Assignment::EarlyStopping => "early_stopping",
            Assignment::TrainMb => "train_mb",
            Assignment::Adam => "adam",
            Assignment::AdamDecay => "adam_decay",
            Assignment::Random => "random",
            Assignment::Svm => "svm",
            Assignment::Batchnorm => "batchnorm",
        }
    }
}

impl FromStr for Assignment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Assignment::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Assignment::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown assignment '{s}'; choose one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// Everything a run needs. [`ShootoutConfig::quick`] and [`ShootoutConfig::full`]
/// are the two presets; [`ShootoutConfig::check`] runs before any work.
#[derive(Debug, Clone, Serialize)]
pub struct ShootoutConfig {
    pub mode: &'static str,
    pub seed: u64,
    /// Training examples used (the first N of the 60,000).
    pub n_train: usize,
    pub n_test: usize,
    pub epochs: usize,
    pub batch: usize,
    /// Learning rate of SGD.
    pub lr: f64,
    /// λ of the deep configurations.
    pub lambda: f64,
    /// λ values of the weight-image assignment.
    pub lambdas: Vec<f64>,
    /// Batch sizes compared in `train_mb`.
    pub batch_sizes: Vec<usize>,
    /// Training / test examples of the RBF SVM.
    pub svm_train: usize,
    pub svm_test: usize,
    pub svm_c: f64,
    /// Binary solver of the RBF SVM (auto: linfa for small pairs, SMO for large).
    pub svm_backend: ksvm_wrap::Backend,
    pub format: PlotFormat,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
}

impl ShootoutConfig {
    /// About 15 s on a 2-core CPU: 20,000 training images, 8 epochs.
    pub fn quick(device: Device, out: PathBuf) -> Self {
        ShootoutConfig {
            mode: "quick",
            seed: 100,
            n_train: 20_000,
            n_test: 10_000,
            epochs: 8,
            batch: 100,
            lr: 0.1,
            lambda: 1e-4,
            lambdas: vec![0.0, 1e-3, 1e-1],
            batch_sizes: vec![32, 128, 1024],
            svm_train: 10_000,
            svm_test: 10_000,
            svm_c: 1.0,
            svm_backend: ksvm_wrap::Backend::Smo,
            format: PlotFormat::Png,
            device,
            out,
        }
    }

    /// The course protocol: all 60,000 / 10,000 images, 30 epochs.
    pub fn full(device: Device, out: PathBuf) -> Self {
        ShootoutConfig {
            mode: "full",
            n_train: 60_000,
            n_test: 10_000,
            epochs: 30,
            lambdas: vec![0.0, 1e-4, 1e-3, 1e-2, 1e-1],
            batch_sizes: vec![16, 64, 256, 1024],
            svm_train: 60_000,
            svm_test: 10_000,
            ..ShootoutConfig::quick(device, out)
        }
    }

    pub fn check(&self) -> Result<(), ShootoutError> {
        let bad = |m: String| Err(ShootoutError::Config(m));
        if self.n_train < 10 || self.n_test < 1 {
            return bad(format!(
                "need ≥ 10 training and ≥ 1 test images, got {} / {}",
                self.n_train, self.n_test
            ));
        }
        self.spec(Optim::Sgd, self.lr, self.lambda).check()?;
        for &l in &self.lambdas {
            self.spec(Optim::Sgd, self.lr, l).check()?;
        }
        if self.batch_sizes.contains(&0) {
            return bad("batch sizes must be ≥ 1".into());
        }
        if !(self.svm_c.is_finite() && self.svm_c > 0.0) {
            return bad(format!("SVM C must be > 0, got {}", self.svm_c));
        }
        if self.svm_train < 2 || self.svm_test < 1 {
            return bad("the SVM needs ≥ 2 training and ≥ 1 test images".into());
        }
        Ok(())
    }

    fn spec(&self, optim: Optim, lr: f64, lambda: f64) -> TrainSpec {
        TrainSpec {
            epochs: self.epochs,
            batch: self.batch,
            optim,
            lr,
            lambda,
            gamma: None,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.out.join(format!("{name}.{}", self.format.ext()))
    }
}

/// One row of the final comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub assignment: &'static str,
    pub model: String,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: f64,
    pub train_seconds: f64,
    pub device: String,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lab: &'static str,
    pub config: ShootoutConfig,
    pub device: String,
    pub data: String,
    pub assignments: serde_json::Map<String, Value>,
    pub comparison: Vec<Row>,
    pub total_seconds: f64,
}

struct Ctx<'a> {
    cfg: &'a ShootoutConfig,
    data: &'a Dataset,
    rows: Vec<Row>,
}

/// A freshly initialised PTDeep in its own VarStore (seeded).
fn model(
    cfg: &ShootoutConfig,
    layers: &[usize],
    batch_norm: bool,
) -> Result<(VarStore, PTDeep), ShootoutError> {
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(cfg.device);
    let m = if batch_norm {
        PTDeep::with_batch_norm(&vs.root(), layers, Activation::Relu)?
    } else {
        PTDeep::new(&vs.root(), layers, Activation::Relu)?
    };
    Ok((vs, m))
}

fn tag(layers: &[usize]) -> String {
    format!(
        "[{}]",
        layers
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Trained model, its history and its train/test evaluation.
struct Trained {
    /// Keeps the model's parameter store alive alongside it.
    _vs: VarStore,
    model: PTDeep,
    hist: crate::train::History,
    train: Eval,
    test: Eval,
}

impl Ctx<'_> {
    fn fit(
        &mut self,
        a: Assignment,
        name: &str,
        layers: &[usize],
        bn: bool,
        spec: &TrainSpec,
        split: &Split,
    ) -> Result<Trained, ShootoutError> {
        let (vs, m) = model(self.cfg, layers, bn)?;
        let lambda = spec.lambda;
        let hist = train_mb(
            &vs,
            split,
            spec,
            name,
            &|x, y| m.loss_labels(x, y, lambda),
            |_, _| Ok(()),
        )?;
        let train = evaluate(&m, split)?;
        let test = evaluate(&m, &self.data.test)?;
        self.row(a, name, Some(train.accuracy), test.accuracy, hist.seconds);
        Ok(Trained {
            _vs: vs,
            model: m,
            hist,
            train,
            test,
        })
    }

    fn row(&mut self, a: Assignment, model: &str, train: Option<f64>, test: f64, seconds: f64) {
        self.rows.push(Row {
            assignment: a.name(),
            model: model.to_string(),
            train_accuracy: train,
            test_accuracy: test,
            train_seconds: seconds,
            device: torch_util::device_name(self.cfg.device),
        });
    }
}

fn curve(name: impl Into<String>, ys: &[f64]) -> Series {
    Series::new(
        name,
        ys.iter()
            .enumerate()
            .map(|(i, &y)| ((i + 1) as f64, y))
            .collect(),
    )
}

fn summary(t: &Trained) -> Value {
    json!({ "train": t.train, "test": t.test, "epoch_loss": t.hist.epoch_loss, "train_seconds": t.hist.seconds })
}

/// 1. Weights of [784,10] as ten 28 × 28 images, for each λ.
fn weights(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let mut out = Vec::new();
    for &l in &cx.cfg.lambdas.clone() {
        let spec = cx.cfg.spec(Optim::Sgd, cx.cfg.lr, l);
        let t = cx.fit(
            Assignment::Weights,
            &format!("[784,10] λ={l}"),
            &[784, 10],
            false,
            &spec,
            &cx.data.train,
        )?;
        let w = torch_util::to_array2(&t.model.weights()[0])?; // 784 × 10
        let images: Vec<Vec<f32>> = (0..10)
            .map(|d| w.column(d).iter().map(|&v| v as f32).collect())
            .collect();
        let captions: Vec<String> = (0..10).map(|d| d.to_string()).collect();
        let file = cx.cfg.path(&format!("weights_lambda{l}"));
        image_grid(
            &file,
            &format!("[784,10] weights per digit, λ = {l} (red +, blue −)"),
            &images,
            (28, 28),
            &captions,
            10,
            ImageMap::Diverging,
        )?;
        let norm = t.model.weights()[0].norm().double_value(&[]);
        out.push(json!({ "lambda": l, "weight_norm": norm, "train_accuracy": t.train.accuracy,
            "test_accuracy": t.test.accuracy, "plot": file.file_name().map(|f| f.to_string_lossy().into_owned()) }));
    }
    Ok(json!({ "runs": out }))
}

/// 2. Four depths: performance, loss curves, hardest training images of the best.
fn configs(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let layer_sets: [&[usize]; 4] = [
        &[784, 10],
        &[784, 100, 10],
        &[784, 100, 100, 10],
        &[784, 100, 100, 100, 10],
    ];
    let spec = cx.cfg.spec(Optim::Sgd, cx.cfg.lr, cx.cfg.lambda);
    let mut runs = Vec::new();
    let mut best: Option<Trained> = None;
    let mut series = Vec::new();
    for layers in layer_sets {
        let t = cx.fit(
            Assignment::Configs,
            &tag(layers),
            layers,
            false,
            &spec,
            &cx.data.train,
        )?;
        series.push(curve(tag(layers), &t.hist.epoch_loss));
        runs.push(json!({ "config": layers, "n_params": t.model.count_params().total, "result": summary(&t) }));
        if best
            .as_ref()
            .is_none_or(|b| t.test.accuracy > b.test.accuracy)
        {
            best = Some(t);
        }
    }
    line_plot(
        &cx.cfg.path("configs_loss"),
        "training loss per epoch",
        "epoch",
        "mean loss",
        &series,
        true,
    )?;
    let Some(best) = best else {
        return Err(ShootoutError::Config("no configuration ran".into()));
    };
    // The training images with the highest loss under the best model.
    let train = &cx.data.train;
    let scores = logits(&best.model, train);
    let per_example = tch::no_grad(|| {
        -scores
            .log_softmax(-1, Kind::Float)
            .gather(1, &train.y.unsqueeze(1), false)
            .squeeze_dim(1)
    });
    let (top_loss, top_idx) = per_example.topk(20.min(train.len() as i64), 0, true, true);
    let idx = torch_util::to_labels(&top_idx)?;
    let losses = Vec::<f64>::try_from(&top_loss.to_kind(Kind::Double).to_device(Device::Cpu))?;
    let pred = torch_util::to_labels(&scores.argmax(-1, false).index_select(0, &top_idx))?;
    let images: Vec<Vec<f32>> = idx.iter().map(|&i| train.images.row(i).to_vec()).collect();
    let captions: Vec<String> = idx
        .iter()
        .zip(&pred)
        .zip(&losses)
        .map(|((&i, p), l)| format!("{}→{p} ({l:.1})", train.labels[i]))
        .collect();
    image_grid(
        &cx.cfg.path("hardest_train_images"),
        &format!(
            "highest-loss training images under {} (true→predicted, loss)",
            tag(best.model.config())
        ),
        &images,
        (28, 28),
        &captions,
        10,
        ImageMap::Gray,
    )?;
    Ok(
        json!({ "runs": runs, "best": best.model.config(), "hardest": idx.iter().zip(&pred).zip(&losses)
        .map(|((&i, &p), &l)| json!({"index": i, "true": train.labels[i], "predicted": p, "loss": l})).collect::<Vec<_>>() }),
    )
}

/// 3. Early stopping on a 1/5 validation split.
fn early_stopping(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let data = cx.data;
    let n = data.train.len();
    let mut order: Vec<i64> = (0..n as i64).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(cx.cfg.seed));
    let n_val = n / 5;
    let pick = |ids: &[i64]| -> Split {
        let t = Tensor::from_slice(ids).to_device(cx.cfg.device);
        let host: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
        Split {
            x: data.train.x.index_select(0, &t),
            y: data.train.y.index_select(0, &t),
            labels: host.iter().map(|&i| data.train.labels[i]).collect(),
            images: data.train.images.select(ndarray::Axis(0), &host),
        }
    };
    let (val, fit) = (pick(&order[..n_val]), pick(&order[n_val..]));
    let layers = [784, 100, 10];
    let (vs, m) = model(cx.cfg, &layers, false)?;
    let spec = cx.cfg.spec(Optim::Sgd, cx.cfg.lr, cx.cfg.lambda);
    let mut val_acc = Vec::new();
    let mut best = (0usize, f64::MIN, snapshot(&vs));
    let lambda = spec.lambda;
    let hist = train_mb(
        &vs,
        &fit,
        &spec,
        "early stopping",
        &|x, y| m.loss_labels(x, y, lambda),
        |epoch, _| {
            let acc = evaluate(&m, &val)?.accuracy;
            val_acc.push(acc);
            if acc > best.1 {
                best = (epoch, acc, snapshot(&vs));
            }
            Ok(())
        },
    )?;
    let last_test = evaluate(&m, &data.test)?.accuracy;
    let last_val = val_acc.last().copied().unwrap_or(f64::NAN);
    restore(&vs, &best.2);
    let best_test = evaluate(&m, &data.test)?.accuracy;
    let best_val = evaluate(&m, &val)?.accuracy;
    cx.row(
        Assignment::EarlyStopping,
        "[784,100,10] best epoch",
        None,
        best_test,
        hist.seconds,
    );
    line_plot(
        &cx.cfg.path("early_stopping"),
        "validation accuracy per epoch",
        "epoch",
        "accuracy",
        &[curve("validation", &val_acc)],
        false,
    )?;
    Ok(
        json!({ "config": layers, "n_fit": fit.len(), "n_validation": val.len(), "best_epoch": best.0, "epochs": spec.epochs,
        "validation_accuracy": val_acc, "best": {"validation": best_val, "test": best_test},
        "last": {"validation": last_val, "test": last_test}, "epoch_loss": hist.epoch_loss }),
    )
}

/// 4. Hand-written shuffled mini-batches: convergence for several batch sizes.
fn mini_batches(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let mut runs = Vec::new();
    let mut series = Vec::new();
    for &b in &cx.cfg.batch_sizes.clone() {
        let spec = TrainSpec {
            batch: b,
            ..cx.cfg.spec(Optim::Sgd, cx.cfg.lr, cx.cfg.lambda)
        };
        let t = cx.fit(
            Assignment::TrainMb,
            &format!("[784,100,10] batch {b}"),
            &[784, 100, 10],
            false,
            &spec,
            &cx.data.train,
        )?;
        series.push(curve(format!("batch {b}"), &t.hist.epoch_loss));
        runs.push(json!({ "batch": b, "seconds_per_epoch": t.hist.seconds / spec.epochs as f64, "result": summary(&t) }));
    }
    line_plot(
        &cx.cfg.path("train_mb_loss"),
        "SGD, [784,100,10]: loss per epoch by batch size",
        "epoch",
        "mean loss",
        &series,
        true,
    )?;
    Ok(json!({ "runs": runs }))
}

/// 5 and 6. Adam at 1e-4, without and with exponential decay per epoch.
fn adam(cx: &mut Ctx, decay: bool) -> Result<Value, ShootoutError> {
    let gamma = decay.then_some(1.0 - 1e-4);
    let spec = TrainSpec {
        gamma,
        ..cx.cfg.spec(Optim::Adam, 1e-4, cx.cfg.lambda)
    };
    let (a, name) = if decay {
        (
            Assignment::AdamDecay,
            "[784,100,10] Adam 1e-4, decay 1-1e-4",
        )
    } else {
        (Assignment::Adam, "[784,100,10] Adam 1e-4")
    };
    let t = cx.fit(a, name, &[784, 100, 10], false, &spec, &cx.data.train)?;
    let file = if decay {
        "adam_decay_loss"
    } else {
        "adam_loss"
    };
    line_plot(
        &cx.cfg.path(file),
        name,
        "epoch",
        "mean loss",
        &[curve(name, &t.hist.epoch_loss)],
        true,
    )?;
    Ok(
        json!({ "config": [784, 100, 10], "lr": 1e-4, "gamma": gamma, "lr_per_epoch": t.hist.lr, "result": summary(&t) }),
    )
}

/// 7. An untrained model: the baseline.
fn random(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let (_vs, m) = model(cx.cfg, &[784, 100, 10], false)?;
    let (train, test) = (evaluate(&m, &cx.data.train)?, evaluate(&m, &cx.data.test)?);
    cx.row(
        Assignment::Random,
        "[784,100,10] untrained",
        Some(train.accuracy),
        test.accuracy,
        0.0,
    );
    Ok(
        json!({ "config": [784, 100, 10], "train": train, "test": test, "chance_loss": 10f64.ln(), "chance_accuracy": 0.1 }),
    )
}

/// 8. RBF SVM (one-vs-one, ksvm_wrap) and a linear SVM (multi-class hinge, SGD).
fn svm(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let cfg = cx.cfg;
    let (n_tr, n_te) = (
        cfg.svm_train.min(cx.data.train.len()),
        cfg.svm_test.min(cx.data.test.len()),
    );
    let x = cx
        .data
        .train
        .images
        .slice(ndarray::s![..n_tr, ..])
        .mapv(f64::from);
    let y = &cx.data.train.labels[..n_tr];
    let xt = cx
        .data
        .test
        .images
        .slice(ndarray::s![..n_te, ..])
        .mapv(f64::from);
    // gamma = 1 / (D · Var(X)), scikit-learn's 'scale'.
    let var = x.var(0.0);
    let gamma = 1.0 / (x.ncols() as f64 * var.max(1e-12));
    let t0 = Instant::now();
    let params = ksvm_wrap::KsvmParams {
        c: cfg.svm_c,
        kernel: ksvm_wrap::Kernel::Rbf {
            gamma: ksvm_wrap::Gamma::Value(gamma),
        },
        backend: cfg.svm_backend,
        ..Default::default()
    };
    let pb = labkit::progress(45, "RBF SVM pairs");
    let svm = ksvm_wrap::KSVMWrap::fit_with_progress(x.view(), y, &params, &mut |done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    })
    .map_err(|e| ShootoutError::Svm(e.to_string()))?;
    pb.finish_and_clear();
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pred = svm
        .predict(xt.view())
        .map_err(|e| ShootoutError::Svm(e.to_string()))?;
    let predict_s = t1.elapsed().as_secs_f64();
    let rbf = metrics::eval_perf_multi(&pred, &cx.data.test.labels[..n_te], Some(10))?;
    cx.row(
        Assignment::Svm,
        &format!(
            "RBF SVM ({}, {n_tr} train)",
            serde_json::to_value(cfg.svm_backend)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        ),
        None,
        rbf.accuracy,
        fit_s,
    );

    // Linear SVM: scores X·W + b, Weston–Watkins hinge Σ_{j≠y} max(0, 1 + s_j − s_y), λ/2·‖W‖².
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(cfg.device);
    let lin = PTDeep::new(&vs.root(), &[784, 10], Activation::Relu)?;
    let spec = cfg.spec(Optim::Sgd, cfg.lr, 1e-4);
    let hinge = |x: &Tensor, y: &Tensor| {
        let s = lin.logits_t(x, true);
        let sy = s.gather(1, &y.unsqueeze(1), false);
        let margins = (s - sy + 1.0).clamp_min(0.0);
        let total = margins.sum_dim_intlist([1i64].as_slice(), false, Kind::Float) - 1.0; // drop j = y (its margin is exactly 1)
        total.mean(Kind::Float) + lin.weights()[0].square().sum(Kind::Float) * (spec.lambda / 2.0)
    };
    let hist = train_mb(&vs, &cx.data.train, &spec, "linear SVM", &hinge, |_, _| {
        Ok(())
    })?;
    let lin_train = evaluate_logits(&logits(&lin, &cx.data.train), &cx.data.train)?.accuracy;
    let lin_test = evaluate_logits(&logits(&lin, &cx.data.test), &cx.data.test)?.accuracy;
    cx.row(
        Assignment::Svm,
        "linear SVM (hinge, SGD)",
        Some(lin_train),
        lin_test,
        hist.seconds,
    );
    Ok(json!({
        "rbf": { "backend": cfg.svm_backend, "n_train": n_tr, "n_test": n_te, "c": cfg.svm_c,
                 "gamma": gamma, "gamma_rule": "scale = 1/(D·Var(X))", "test_accuracy": rbf.accuracy,
                 "precision": rbf.precision, "recall": rbf.recall, "n_support": svm.n_support(),
                 "fit_seconds": fit_s, "predict_seconds": predict_s,
                 "one_vs_one": "45 binary SVMs" },
        "linear": { "loss": "Weston-Watkins multi-class hinge + λ/2·‖W‖², λ = 1e-4", "train_accuracy": lin_train,
                    "test_accuracy": lin_test, "train_seconds": hist.seconds, "epoch_loss": hist.epoch_loss }
    }))
}

/// 9. Batch normalisation after each hidden affine layer vs the plain net.
fn batchnorm(cx: &mut Ctx) -> Result<Value, ShootoutError> {
    let layers = [784, 100, 100, 10];
    let spec = cx.cfg.spec(Optim::Sgd, cx.cfg.lr, cx.cfg.lambda);
    let plain = cx.fit(
        Assignment::Batchnorm,
        "[784,100,100,10] plain",
        &layers,
        false,
        &spec,
        &cx.data.train,
    )?;
    let bn = cx.fit(
        Assignment::Batchnorm,
        "[784,100,100,10] batch norm",
        &layers,
        true,
        &spec,
        &cx.data.train,
    )?;
    line_plot(
        &cx.cfg.path("batchnorm_loss"),
        "with and without batch norm",
        "epoch",
        "mean loss",
        &[
            curve("plain", &plain.hist.epoch_loss),
            curve("batch norm", &bn.hist.epoch_loss),
        ],
        true,
    )?;
    Ok(json!({ "config": layers, "plain": summary(&plain), "batch_norm": summary(&bn) }))
}

/// Runs the chosen assignments (all when `only` is empty) on `data`.
pub fn run(
    cfg: &ShootoutConfig,
    data: &Dataset,
    only: &[Assignment],
) -> Result<Report, ShootoutError> {
    cfg.check()?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let mut cx = Ctx {
        cfg,
        data,
        rows: Vec::new(),
    };
    let mut results = serde_json::Map::new();
    for a in Assignment::ALL
        .into_iter()
        .filter(|a| only.is_empty() || only.contains(a))
    {
        let t0 = Instant::now();
        let mut v = match a {
            Assignment::Weights => weights(&mut cx)?,
            Assignment::Configs => configs(&mut cx)?,
            Assignment::EarlyStopping => early_stopping(&mut cx)?,
            Assignment::TrainMb => mini_batches(&mut cx)?,
            Assignment::Adam => adam(&mut cx, false)?,
            Assignment::AdamDecay => adam(&mut cx, true)?,
            Assignment::Random => random(&mut cx)?,
            Assignment::Svm => svm(&mut cx)?,
            Assignment::Batchnorm => batchnorm(&mut cx)?,
        };
        if let Value::Object(m) = &mut v {
            m.insert("seconds".into(), json!(t0.elapsed().as_secs_f64()));
            m.insert("seed".into(), json!(cfg.seed));
            m.insert("device".into(), json!(torch_util::device_name(cfg.device)));
        }
        eprintln!(
            "  {:<15} done in {}",
            a.name(),
            labkit::fmt_duration(t0.elapsed())
        );
        results.insert(a.name().into(), v);
    }
    let report = Report {
        lab: "mnist_shootout",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        data: data.source.clone(),
        assignments: results,
        comparison: cx.rows,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    if !report.comparison.is_empty() {
        let labels: Vec<String> = report.comparison.iter().map(|r| r.model.clone()).collect();
        let acc: Vec<f64> = report.comparison.iter().map(|r| r.test_accuracy).collect();
        let lo = acc.iter().copied().fold(1.0, f64::min).clamp(0.0, 0.8);
        bar_chart(
            &cfg.path("comparison"),
            "test accuracy",
            &labels,
            &acc,
            ((lo - 0.02).max(0.0), 1.0),
        )?;
        labkit::write_bytes(
            &dir.path("comparison.md"),
            comparison_markdown(&report).as_bytes(),
        )?;
    }
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// The comparison as a markdown table.
pub fn comparison_markdown(r: &Report) -> String {
    let mut s = format!(
        "MNIST shootout ({} mode, {} training images, {} epochs, seed {}, device {})\n\n| assignment | model | train acc | test acc | train time |\n|---|---|---|---|---|\n",
        r.config.mode, r.config.n_train, r.config.epochs, r.config.seed, r.device
    );
    for row in &r.comparison {
        let tr = row.train_accuracy.map_or("–".into(), |a| format!("{a:.4}"));
        s.push_str(&format!(
            "| {} | {} | {tr} | {:.4} | {:.1} s |\n",
            row.assignment, row.model, row.test_accuracy, row.train_seconds
        ));
    }
    s
}

/// The speed check: seconds per epoch of [784,100,10], Adam, batch 100, on `train`.
pub fn bench_epoch(train: &Split, epochs: usize, seed: u64) -> Result<f64, ShootoutError> {
    tch::manual_seed(seed as i64);
    let vs = VarStore::new(train.x.device());
    let m = PTDeep::new(&vs.root(), &[784, 100, 10], Activation::Relu)?;
    let spec = TrainSpec {
        epochs,
        batch: 100,
        optim: Optim::Adam,
        lr: 1e-3,
        lambda: 0.0,
        gamma: None,
    };
    let hist = train_mb(
        &vs,
        train,
        &spec,
        "bench",
        &|x, y| m.loss_labels(x, y, 0.0),
        |_, _| Ok(()),
    )?;
    Ok(hist.seconds / epochs as f64)
}
