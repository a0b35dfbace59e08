//! Part 5's training loop: a net 4→100→100→2 and a label table 3 × 2 learned
//! together, one copy per seed (the tables of S seeds are the S·3 rows of one
//! [`EmbeddingTable`]; seed s's labels are rows 3s, 3s + 1, 3s + 2).
//!
//! The table starts as N(0, 5²) draws and has max-norm 1, as the original
//! notebook's `nn.Embedding(3, 2, max_norm=1)` with `normal_(0, 5)`: at the
//! first lookup every row (norm ≈ 5–10) is rescaled to norm 1.
//!
//! The objectives ([`Objective`]): the naive joint MSE, and three remedies
//! against its collapse.

use serde::Serialize;
use tch::{nn, nn::VarStore, Kind, Tensor};

use crate::iris::IrisBatch;
use crate::loss::{lookup, mae, mse, nearest_label, sq_distances};
use crate::net::{member_rngs, optimizer, per_seed, relu_after, std_normal, Mlp};
use crate::params::{Hidden, TrainParams};
use crate::parts::classifier::cross_entropy;
use crate::parts::labels_by_seed;
use crate::table::EmbeddingTable;
use crate::EmbeddingsError;

/// The random stream of part 5's table and net.
pub const STREAM: u64 = 5;
/// Standard deviation of the table's initial rows (the notebook's `normal_(0, 5)`).
pub const INIT_STD: f64 = 5.0;
/// The table's max-norm.
pub const MAX_NORM: f64 = 1.0;
/// The net's layer sizes.
pub const SIZES: [usize; 4] = [4, 100, 100, 2];

/// What the net and the table minimise together (per seed, then summed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Objective {
    /// MSE between each prediction and its label's row: zero when all rows
    /// and all predictions coincide.
    Mse,
    /// MSE plus `weight · Σ_pairs max(0, margin − ‖E_a − E_b‖)²`: rows closer
    /// than `margin` push each other apart.
    Margin { margin: f64, weight: f64 },
    /// MSE onto unit-length rows (each row divided by its norm).
    UnitNorm,
    /// MSE plus `weight ·` cross-entropy of the classifier softmax(−‖f(x) − E_c‖²):
    /// a prediction must be nearer its own row than the others.
    Prototype { weight: f64 },
}

impl Objective {
    pub fn name(&self) -> &'static str {
        match self {
            Objective::Mse => "mse",
            Objective::Margin { .. } => "margin",
            Objective::UnitNorm => "unit_norm",
            Objective::Prototype { .. } => "prototype",
        }
    }

    /// The rows the predictions are compared with (S × 3 × 2).
    pub fn effective(&self, table: &Tensor) -> Tensor {
        match self {
            Objective::UnitNorm => {
                let n = table
                    .norm_scalaropt_dim(2, [-1i64].as_slice(), true)
                    .clamp_min(1e-12);
                table / n
            }
            _ => table.shallow_clone(),
        }
    }

    /// Per-seed loss (S) of predictions `pred` (S × N × 2) for labels `y`
    /// (S × N) against the table `table` (S × 3 × 2); with `detach`, the
    /// table is a constant of the loss.
    pub fn loss(&self, pred: &Tensor, y: &Tensor, table: &Tensor, detach: bool) -> Tensor {
        let t = self.effective(table);
        let t = if detach { t.detach() } else { t };
        let s = y.size();
        let rows = t.gather(1, &y.unsqueeze(-1).expand([s[0], s[1], 2], false), false);
        let base = mse(pred, &rows);
        match *self {
            Objective::Mse | Objective::UnitNorm => base,
            Objective::Margin { margin, weight } => {
                let d = (sq_distances(&t, &t) + 1e-12).sqrt();
                let c = t.size()[1];
                let upper = Tensor::ones([c, c], (Kind::Float, t.device())).triu(1);
                let hinge = (-d + margin).relu().square() * upper;
                base + hinge.sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) * weight
            }
            Objective::Prototype { weight } => {
                base + cross_entropy(&(-sq_distances(pred, &t)), y) * weight
            }
        }
    }
}

/// How a joint run is set up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointSpec {
    pub train: TrainParams,
    pub objective: Objective,
    /// The table's learning rate is the net's times this.
    pub table_lr_scale: f64,
    /// Cut the gradient to the table (its rows are used as constants).
    pub detach_table: bool,
    /// Epochs (1-based) at which the numbers are recorded.
    pub log_epochs: Vec<usize>,
    /// Record the table's change at every epoch, split into the max-norm
    /// rescaling and the optimiser step (part 5(b)).
    pub trace_steps: bool,
}

/// The numbers of one seed at one logged epoch.
#[derive(Debug, Clone, Serialize)]
pub struct JointLog {
    pub epoch: usize,
    pub loss: f64,
    /// Mean distance between the three rows.
    pub spread: f64,
    pub min_distance: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Mean |f(x) − E[y]| over the test flowers and both coordinates, against
    /// the table as it is at this epoch (the course's test MAE).
    pub test_mae: f64,
}

/// The table's change in one epoch (part 5(b)).
#[derive(Debug, Clone, Serialize)]
pub struct StepTrace {
    /// ‖E after rescaling − E before‖ (Frobenius, over the 3 rows).
    pub renorm: f64,
    /// ‖E after the optimiser step − E after rescaling‖.
    pub step: f64,
    /// ‖∂loss/∂E‖.
    pub grad: f64,
}

/// One seed of a joint run.
#[derive(Debug, Clone, Serialize)]
pub struct JointRun {
    pub seed: u64,
    pub logs: Vec<JointLog>,
    /// The effective table (3 × 2) after the epochs of [`records`] (epoch 0
    /// is the initial draw). Not saved to JSON.
    #[serde(skip)]
    pub trajectory: Vec<(usize, Vec<[f64; 2]>)>,
    /// Per epoch, when `trace_steps` is on.
    #[serde(skip)]
    pub steps: Vec<StepTrace>,
    /// Test predictions at the end (N × 2).
    #[serde(skip)]
    pub predictions: Vec<Vec<f64>>,
}

impl JointRun {
    /// The distance the three rows travel from epoch 1 on, along the recorded
    /// snapshots.
    pub fn path_length(&self) -> f64 {
        self.trajectory
            .windows(2)
            .skip(1)
            .map(|w| {
                w[0].1
                    .iter()
                    .zip(&w[1].1)
                    .map(|(a, b)| (a[0] - b[0]).hypot(a[1] - b[1]))
                    .sum::<f64>()
            })
            .sum()
    }

    pub fn last(&self) -> Result<&JointLog, EmbeddingsError> {
        self.logs
            .last()
            .ok_or(EmbeddingsError::NothingLogged("a part 5 run"))
    }
}

fn host(t: &Tensor) -> Result<Vec<f64>, EmbeddingsError> {
    Ok(Vec::<f64>::try_from(
        &t.to_kind(Kind::Double)
            .to_device(tch::Device::Cpu)
            .flatten(0, -1),
    )?)
}

fn accuracy(
    pred: &Tensor,
    table: &Tensor,
    labels: &[Vec<usize>],
) -> Result<Vec<f64>, EmbeddingsError> {
    let got = labels_by_seed(&nearest_label(pred, table))?;
    Ok(got
        .iter()
        .zip(labels)
        .map(|(g, y)| {
            g.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
        })
        .collect())
}

/// Whether the table is recorded after `epoch` (of `epochs`): every epoch up
/// to 100, then every 10th, and the last.
pub fn records(epoch: usize, epochs: usize) -> bool {
    epoch <= 100 || epoch % 10 == 0 || epoch == epochs
}

/// One epoch of joint learning, after the lookup has rescaled the table's
/// rows: the net's predictions for the training flowers, the per-seed loss of
/// `spec.objective` against the table (seed s's rows are 3s…3s + 2 of
/// `table.weight`, i.e. `table.weight.view([S, 3, 2])`; cut from the graph
/// when `spec.detach_table`), cleared gradients, the backward pass of the
/// seeds' summed loss, one step of `opt` (net and table together).
/// Returns the per-seed losses (S) of the step.
pub fn joint_step(
    net: &Mlp,
    table: &EmbeddingTable,
    opt: &mut nn::Optimizer,
    data: &IrisBatch,
    spec: &JointSpec,
) -> Tensor {
    // exercise(embeddings.joint) begin
    let s = data.len() as i64;
    let pred = net.forward(&data.x_train);
    let loss = spec.objective.loss(
        &pred,
        &data.y_train,
        &table.weight.view([s, 3, 2]),
        spec.detach_table,
    );
    opt.zero_grad();
    loss.sum(Kind::Float).backward();
    opt.step();
    loss
    // exercise(embeddings.joint) end
}

/// The trainable tensors of part 5's model for one seed, named as [`train`]
/// names them, with their shapes: the table first, then the net's layers
/// (weights stored in × out, the transpose of PyTorch's out × in).
pub fn named_parameters(hidden: Hidden) -> Result<Vec<(String, Vec<i64>)>, EmbeddingsError> {
    let vs = VarStore::new(tch::Device::Cpu);
    let mut rngs = member_rngs(&[0], STREAM, 1);
    let init = Tensor::zeros([3, 2], (Kind::Float, tch::Device::Cpu));
    EmbeddingTable::from_tensor(&vs.root().set_group(1), &init, None, Some(MAX_NORM))?;
    Mlp::new(
        &vs.root(),
        &SIZES,
        &relu_after(hidden, SIZES.len() - 1, false),
        &mut rngs,
    )?;
    let mut named: Vec<(String, Vec<i64>)> = vs
        .variables()
        .into_iter()
        .map(|(name, t)| {
            let size = t.size();
            let shape = if name == "weight" {
                size
            } else {
                size[1..].to_vec()
            };
            (name, shape)
        })
        .collect();
    // "weight" (the table), then w1, b1, w2, b2, …
    let key = |n: &str| -> (usize, u8) {
        match n.split_at(1.min(n.len())) {
            ("w", k) if k.parse::<usize>().is_ok() => (k.parse().unwrap_or(0), 0),
            ("b", k) if k.parse::<usize>().is_ok() => (k.parse().unwrap_or(0), 1),
            _ => (0, 0),
        }
    };
    named.sort_by_key(|(n, _)| key(n));
    Ok(named)
}

/// Trains net and table together on every seed of `data`.
pub fn train(data: &IrisBatch, spec: &JointSpec) -> Result<Vec<JointRun>, EmbeddingsError> {
    spec.train.check()?;
    let device = data.device();
    let s = data.len() as i64;
    let mut rngs = member_rngs(&data.seeds, STREAM, 1);
    let vs = VarStore::new(device);
    let init = per_seed(&mut rngs, &[3, 2], device, |r| INIT_STD * std_normal(r));
    let table = EmbeddingTable::from_tensor(
        &vs.root().set_group(1),
        &init.view([s * 3, 2]),
        None,
        Some(MAX_NORM),
    )?;
    let net = Mlp::new(
        &vs.root(),
        &SIZES,
        &relu_after(spec.train.hidden, SIZES.len() - 1, false),
        &mut rngs,
    )?;
    let mut opt: nn::Optimizer = optimizer(&vs, &spec.train)?;
    opt.set_lr_group(1, spec.train.lr * spec.table_lr_scale);
    let offsets = (Tensor::arange(s, (Kind::Int64, device)) * 3).view([s, 1]);
    let idx = &data.y_train + &offsets;
    let as_tables = |w: &Tensor| spec.objective.effective(&w.view([s, 3, 2]));

    let mut snapshots = vec![as_tables(&table.snapshot())];
    let mut snapshot_epochs = vec![0];
    type Logged = (
        usize,
        Tensor,
        Vec<f64>,
        Vec<f64>,
        Vec<f64>,
        Vec<f64>,
        Vec<f64>,
    );
    let mut logged: Vec<Logged> = Vec::new();
    let mut steps: Vec<Tensor> = Vec::new();
    for epoch in 1..=spec.train.epochs {
        let before = spec.trace_steps.then(|| table.snapshot());
        // nn.Embedding(max_norm=…) rescales the looked-up rows at every lookup
        table.renorm(&idx, MAX_NORM)?;
        let renormed = spec.trace_steps.then(|| table.snapshot());
        let loss = joint_step(&net, &table, &mut opt, data, spec);
        // the step leaves the gradient it used in place
        let grad = spec.trace_steps.then(|| {
            let g = table.weight.grad();
            if g.defined() {
                frob(&g, s)
            } else {
                Tensor::zeros([s], (Kind::Float, device))
            }
        });
        if let (Some(b), Some(r), Some(g)) = (before, renormed, grad) {
            let moved = frob(&(table.snapshot() - &r), s);
            steps.push(Tensor::stack(&[frob(&(&r - &b), s), moved, g], 1));
        }
        if records(epoch, spec.train.epochs) {
            snapshots.push(as_tables(&table.snapshot()));
            snapshot_epochs.push(epoch);
        }
        if spec.log_epochs.contains(&epoch) || epoch == spec.train.epochs {
            let t = as_tables(&table.snapshot());
            let (train_acc, test_acc, test_mae) =
                tch::no_grad(|| -> Result<_, EmbeddingsError> {
                    let test_pred = net.forward(&data.x_test);
                    Ok((
                        accuracy(&net.forward(&data.x_train), &t, &data.labels_train)?,
                        accuracy(&test_pred, &t, &data.labels_test)?,
                        mae(&test_pred, &lookup(&t, &data.y_test))?,
                    ))
                })?;
            let spread = crate::loss::spread(&t)?;
            let min_d = crate::loss::min_distance(&t)?;
            logged.push((
                epoch,
                loss.detach(),
                spread,
                min_d,
                train_acc,
                test_acc,
                test_mae,
            ));
        }
    }
    let test_pred = tch::no_grad(|| net.forward(&data.x_test));
    let traj = Tensor::stack(&snapshots, 1); // S × (E+1) × 3 × 2
    let traj = host(&traj)?;
    let steps_host = if steps.is_empty() {
        Vec::new()
    } else {
        host(&Tensor::stack(&steps, 1))? // S × E × 3
    };
    let n_snap = snapshots.len();
    let mut runs = Vec::new();
    for (k, &seed) in data.seeds.iter().enumerate() {
        let mut logs = Vec::new();
        for (epoch, loss, spread, min_d, tr, te, te_mae) in &logged {
            let l = host(loss)?;
            logs.push(JointLog {
                epoch: *epoch,
                loss: l[k],
                spread: spread[k],
                min_distance: min_d[k],
                train_accuracy: tr[k],
                test_accuracy: te[k],
                test_mae: te_mae[k],
            });
        }
        let base = k * n_snap * 6;
        let trajectory = (0..n_snap)
            .map(|e| {
                let rows = (0..3)
                    .map(|r| {
                        let o = base + e * 6 + r * 2;
                        [traj[o], traj[o + 1]]
                    })
                    .collect();
                (snapshot_epochs[e], rows)
            })
            .collect();
        let e = spec.train.epochs;
        let steps = if steps_host.is_empty() {
            Vec::new()
        } else {
            (0..e)
                .map(|t| {
                    let o = (k * e + t) * 3;
                    StepTrace {
                        renorm: steps_host[o],
                        step: steps_host[o + 1],
                        grad: steps_host[o + 2],
                    }
                })
                .collect()
        };
        runs.push(JointRun {
            seed,
            logs,
            trajectory,
            steps,
            predictions: crate::parts::rows(&test_pred.get(k as i64))?,
        });
    }
    for r in &runs {
        crate::net::check_finite(r.logs.iter().map(|l| vec![l.loss]), "the joint training")?;
    }
    Ok(runs)
}

/// Per-seed Frobenius norm of an (S·3) × 2 tensor: S.
fn frob(t: &Tensor, s: i64) -> Tensor {
    t.view([s, 6])
        .square()
        .sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
        .sqrt()
}
