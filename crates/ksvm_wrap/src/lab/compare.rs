//! KSVMWrap against PTDeep over many random data sets of one setting.
//!
//! Each data set is drawn with 2·N points per component and split in two
//! halves of N per component: both models train on the first half (the
//! course's data set) and are scored on it and on the second half, fresh
//! points from the same mixture. PTDeep is trained through `pt_deep::fit`,
//! pt_deep's own library routine.

use std::cmp::Ordering;
use std::time::Instant;

use data::GmmSpec;
use ndarray::{Array2, ArrayView2, Axis};
use pt_deep::TrainParams;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;

use super::{draw_dataset, LabConfig};
use crate::{KSVMWrap, KsvmError};

/// Mean, sample standard deviation (n − 1; 0 for one value), min and max.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// `None` for no values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
        let v: Vec<f64> = values.into_iter().collect();
        let (mean, std) = metrics::mean_std(&v)?;
        Some(Stats {
            n: v.len(),
            mean,
            std,
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} ± {:.3}", self.mean, self.std)
    }
}

/// One model on one data set.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ModelRun {
    pub train_accuracy: f64,
    pub train_ap: Option<f64>,
    /// On the held-out half: fresh points from the same mixture.
    pub test_accuracy: f64,
    pub test_ap: Option<f64>,
    /// Training time.
    pub seconds: f64,
}

/// One data set of the comparison: both models, trained and scored on it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRun {
    pub index: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub svm: ModelRun,
    pub svm_support: usize,
    pub ptdeep: ModelRun,
    pub ptdeep_loss: f64,
}

/// Summary of one model over the data sets of a setting.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub train_accuracy: Option<Stats>,
    pub train_ap: Option<Stats>,
    pub test_accuracy: Option<Stats>,
    pub test_ap: Option<Stats>,
    pub seconds: Option<Stats>,
}

impl ModelSummary {
    fn of<'a>(runs: impl Iterator<Item = &'a ModelRun> + Clone) -> Self {
        ModelSummary {
            train_accuracy: Stats::of(runs.clone().map(|r| r.train_accuracy)),
            train_ap: Stats::of(runs.clone().filter_map(|r| r.train_ap)),
            test_accuracy: Stats::of(runs.clone().map(|r| r.test_accuracy)),
            test_ap: Stats::of(runs.clone().filter_map(|r| r.test_ap)),
            seconds: Stats::of(runs.map(|r| r.seconds)),
        }
    }
}

/// On how many data sets each model's accuracy was strictly higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Wins {
    pub svm: usize,
    pub tie: usize,
    pub ptdeep: usize,
}

impl Wins {
    fn count(pairs: impl Iterator<Item = (f64, f64)>) -> Wins {
        let mut w = Wins {
            svm: 0,
            tie: 0,
            ptdeep: 0,
        };
        for (svm, ptdeep) in pairs {
            match svm.total_cmp(&ptdeep) {
                Ordering::Greater => w.svm += 1,
                Ordering::Equal => w.tie += 1,
                Ordering::Less => w.ptdeep += 1,
            }
        }
        w
    }
}

/// The comparison on one setting.
#[derive(Debug, Clone, Serialize)]
pub struct SettingReport {
    pub data: GmmSpec,
    pub n_datasets: usize,
    /// Draws with a single class, rejected and drawn again.
    pub rejected_draws: usize,
    pub ptdeep_config: Vec<usize>,
    /// PTDeep's weights and biases: fixed by the architecture.
    pub ptdeep_params: usize,
    pub svm: ModelSummary,
    pub ptdeep: ModelSummary,
    /// Support vectors per data set: the SVM keeps one α and one training
    /// point (D numbers) for each, so its size grows with the data.
    pub svm_support: Option<Stats>,
    pub wins_train: Wins,
    pub wins_test: Wins,
    pub runs: Vec<DatasetRun>,
}

/// Rows of the first / second `n` points of every component of a
/// `sample_gmm_2d(k, c, 2n)` draw (components come one after the other).
fn halves(k: usize, n: usize) -> (Vec<usize>, Vec<usize>) {
    let first = (0..k).flat_map(|i| 2 * n * i..2 * n * i + n).collect();
    let second = (0..k)
        .flat_map(|i| 2 * n * i + n..2 * n * (i + 1))
        .collect();
    (first, second)
}

/// Accuracy and AP of an SVM on (x, y) with `c` classes.
fn score_svm(
    svm: &KSVMWrap,
    x: ArrayView2<f64>,
    y: &[usize],
    c: usize,
) -> Result<(f64, Option<f64>), KsvmError> {
    let acc = metrics::eval_perf_multi(&svm.predict(x)?, y, Some(c))?.accuracy;
    let ap = metrics::average_precision_of_proba(svm.class_scores(x, c)?.view(), y)?;
    Ok((acc, ap))
}

type Split<'a> = (ArrayView2<'a, f64>, &'a [usize]);

/// PTDeep trained through pt_deep's own library routine, scored on both halves;
/// also returns its final loss and parameter count.
fn run_ptdeep(
    cfg: &LabConfig,
    (x, y): Split<'_>,
    (xt, yt): Split<'_>,
    c: usize,
    torch_seed: u64,
) -> Result<(ModelRun, f64, usize), KsvmError> {
    let layers = cfg.layers(c);
    let spec = pt_deep::FitSpec {
        layers: &layers,
        activation: cfg.activation,
        train: TrainParams {
            log_every: cfg.train.niter,
            ..cfg.train
        },
        standardize: cfg.standardize,
        torch_seed,
        device: cfg.device,
    };
    let t0 = Instant::now();
    let fitted = pt_deep::fit(x, y, &spec, |_, _, _| {})?;
    let seconds = t0.elapsed().as_secs_f64();
    let (train, test) = (fitted.score(x, y)?, fitted.score(xt, yt)?);
    let loss = fitted
        .log
        .final_loss()
        .ok_or(pt_deep::PtDeepError::ZeroIterations)?;
    let run = ModelRun {
        train_accuracy: train.perf.accuracy,
        train_ap: train.ap,
        test_accuracy: test.perf.accuracy,
        test_ap: test.ap,
        seconds,
    };
    Ok((run, loss, fitted.model.count_params().total))
}

/// Both models on `cfg.datasets` random data sets of one setting.
///
/// Setting `s` draws its data sets one after another from `StdRng(seed + s)`;
/// PTDeep's initial weights for data set `i` come from `tch::manual_seed(seed + i)`.
pub fn compare_setting(
    cfg: &LabConfig,
    s: usize,
    spec: &GmmSpec,
    pb: &indicatif::ProgressBar,
) -> Result<SettingReport, KsvmError> {
    let mut rng = StdRng::seed_from_u64(cfg.seed.wrapping_add(s as u64));
    let double = GmmSpec {
        n: 2 * spec.n,
        ..*spec
    };
    let (train_rows, test_rows) = halves(spec.k, spec.n);
    let mut runs = Vec::with_capacity(cfg.datasets);
    let (mut rejected_draws, mut ptdeep_params) = (0, 0);
    pb.set_message(spec.to_string());
    for index in 0..cfg.datasets {
        let (x2, y2, rejected) = draw_dataset(&double, &mut rng)?;
        rejected_draws += rejected;
        let pick = |rows: &[usize]| -> (Array2<f64>, Vec<usize>) {
            (
                x2.select(Axis(0), rows),
                rows.iter().map(|&i| y2[i]).collect(),
            )
        };
        let ((x, y), (xt, yt)) = (pick(&train_rows), pick(&test_rows));

        let t0 = Instant::now();
        let svm = KSVMWrap::fit(x.view(), &y, &cfg.svm)?;
        let seconds = t0.elapsed().as_secs_f64();
        let (train_accuracy, train_ap) = score_svm(&svm, x.view(), &y, spec.c)?;
        let (test_accuracy, test_ap) = score_svm(&svm, xt.view(), &yt, spec.c)?;
        let (ptdeep, ptdeep_loss, params) = run_ptdeep(
            cfg,
            (x.view(), &y),
            (xt.view(), &yt),
            spec.c,
            cfg.seed.wrapping_add(index as u64),
        )?;
        ptdeep_params = params;
        runs.push(DatasetRun {
            index,
            n_train: y.len(),
            n_test: yt.len(),
            svm: ModelRun {
                train_accuracy,
                train_ap,
                test_accuracy,
                test_ap,
                seconds,
            },
            svm_support: svm.n_support(),
            ptdeep,
            ptdeep_loss,
        });
        pb.inc(1);
    }
    Ok(SettingReport {
        data: *spec,
        n_datasets: runs.len(),
        rejected_draws,
        ptdeep_config: cfg.layers(spec.c),
        ptdeep_params,
        svm: ModelSummary::of(runs.iter().map(|r| &r.svm)),
        ptdeep: ModelSummary::of(runs.iter().map(|r| &r.ptdeep)),
        svm_support: Stats::of(runs.iter().map(|r| r.svm_support as f64)),
        wins_train: Wins::count(
            runs.iter()
                .map(|r| (r.svm.train_accuracy, r.ptdeep.train_accuracy)),
        ),
        wins_test: Wins::count(
            runs.iter()
                .map(|r| (r.svm.test_accuracy, r.ptdeep.test_accuracy)),
        ),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_use_the_sample_std() {
        let s = Stats::of([1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max, s.n), (1.0, 4.0, 4));
        assert_eq!(Stats::of([7.0]).unwrap().std, 0.0);
        assert!(Stats::of([]).is_none());
    }

    #[test]
    fn halves_split_every_component() {
        // Two components of 2·3 points: rows 0–5 and 6–11.
        let (a, b) = halves(2, 3);
        assert_eq!(a, [0, 1, 2, 6, 7, 8]);
        assert_eq!(b, [3, 4, 5, 9, 10, 11]);
    }

    #[test]
    fn wins_are_counted_strictly() {
        let w = Wins::count([(0.9, 0.8), (0.8, 0.8), (0.7, 0.8), (0.6, 0.8)].into_iter());
        assert_eq!(
            w,
            Wins {
                svm: 1,
                tie: 1,
                ptdeep: 2
            }
        );
    }

    #[test]
    fn single_class_draws_are_redrawn() {
        // gmm(2,2,5): each of the two components is class 0 or 1 with
        // probability ½, so about half the draws have one class only.
        let mut rng = StdRng::seed_from_u64(0);
        let mut rejected = 0;
        for _ in 0..20 {
            let (_, y, r) = draw_dataset(&GmmSpec { k: 2, c: 2, n: 5 }, &mut rng).unwrap();
            assert!(y.contains(&0) && y.contains(&1));
            rejected += r;
        }
        // Each draw has a single class with probability ½, so about 20 are
        // rejected on the way to 20 good ones; seed 0 measured 15.
        assert_eq!(rejected, 15);
    }
}
