//! The lab's settings: which parts run, the training protocol (the course's or
//! the improved one), the split and the seeds. [`LabConfig::check`] validates
//! everything before any file is written.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use labkit::PlotFormat;
use serde::Serialize;
use tch::Device;

use crate::EmbeddingsError;

/// One of the lab's five experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Part {
    /// The embedding table and its padding entry.
    Table = 1,
    /// The cross-entropy classifier.
    Classifier = 2,
    /// Regression onto a fixed label embedding (MSE).
    Regression = 3,
    /// Gaussian regression (mean and variance heads, NLL).
    Gaussian = 4,
    /// The label embedding learned jointly with the net.
    Joint = 5,
}

impl Part {
    pub const ALL: [Part; 5] = [
        Part::Table,
        Part::Classifier,
        Part::Regression,
        Part::Gaussian,
        Part::Joint,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }
}

impl FromStr for Part {
    type Err = EmbeddingsError;
    fn from_str(s: &str) -> Result<Self, EmbeddingsError> {
        match s.trim() {
            "1" => Ok(Part::Table),
            "2" => Ok(Part::Classifier),
            "3" => Ok(Part::Regression),
            "4" => Ok(Part::Gaussian),
            "5" => Ok(Part::Joint),
            other => Err(EmbeddingsError::UnknownPart(other.to_string())),
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The optimiser of one training run (the workspace's one spec).
pub use torch_util::Optimizer;

/// Where a network applies ReLU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// The course's networks: ReLU after the first layer only,
    /// `relu(fc1) → fc2 → fc3` (no activation after the second layer).
    Course,
    /// ReLU after every hidden layer: `relu(fc1) → relu(fc2) → fc3`.
    AllRelu,
}

/// How one network is trained: whole-batch steps on the training flowers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    pub optimizer: Optimizer,
    pub lr: f64,
    pub weight_decay: f64,
    /// One epoch is one step on the whole training set (30 flowers).
    pub epochs: usize,
    /// Standard deviation of Gaussian noise added to the training inputs at
    /// every epoch, in units of the inputs (0 = none).
    pub input_noise: f64,
    /// Networks trained per seed from different initial weights; their
    /// predictions are averaged (1 = a single network).
    pub ensemble: usize,
    /// Where the network applies ReLU.
    pub hidden: Hidden,
    /// Part 2: apply softmax to the logits before the cross-entropy, which
    /// applies it again (the course's classifier ends in a softmax layer and
    /// is trained with `nn.CrossEntropyLoss`).
    pub softmax_twice: bool,
}

impl TrainParams {
    pub const fn new(optimizer: Optimizer, lr: f64, weight_decay: f64, epochs: usize) -> Self {
        TrainParams {
            optimizer,
            lr,
            weight_decay,
            epochs,
            input_noise: 0.0,
            ensemble: 1,
            hidden: Hidden::Course,
            softmax_twice: false,
        }
    }

    /// The same with ReLU placed as `hidden` says.
    pub const fn with_hidden(mut self, hidden: Hidden) -> Self {
        self.hidden = hidden;
        self
    }

    /// The same with (`true`) or without the course's second softmax.
    pub const fn with_softmax_twice(mut self, twice: bool) -> Self {
        self.softmax_twice = twice;
        self
    }

    /// The same with input jitter of standard deviation `noise`.
    pub const fn with_noise(mut self, noise: f64) -> Self {
        self.input_noise = noise;
        self
    }

    pub fn check(&self) -> Result<(), EmbeddingsError> {
        if self.epochs == 0 {
            return Err(EmbeddingsError::ZeroEpochs);
        }
        if self.ensemble == 0 {
            return Err(EmbeddingsError::EmptyEnsemble);
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(EmbeddingsError::BadLearningRate(self.lr));
        }
        for wd in [self.weight_decay, self.input_noise] {
            if !(wd.is_finite() && wd >= 0.0) {
                return Err(EmbeddingsError::BadWeightDecay(wd));
            }
        }
        Ok(())
    }
}

/// Which protocol a run follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolName {
    Course,
    Improved,
}

/// Everything that differs between the course's protocol and the improved one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Protocol {
    pub name: ProtocolName,
    /// Draw the training flowers per class (10 of each) instead of from all 150.
    pub stratified: bool,
    /// Standardise the features with the training flowers' mean and std.
    pub standardize: bool,
    /// Parts 3 and 4: clip each predicted coordinate to the range the three
    /// label points span (a target always lies inside it, so no error grows).
    pub clip_to_labels: bool,
    /// Part 4: the β of β-NLL (0 = the plain Gaussian NLL of the course).
    pub nll_beta: f64,
    /// Part 2.
    pub classifier: TrainParams,
    /// Part 3.
    pub regression: TrainParams,
    /// Part 4.
    pub gaussian: TrainParams,
    /// Part 5.
    pub joint: TrainParams,
}

impl Protocol {
    /// The notebooks' protocol: raw features, an unstratified split (as
    /// `train_test_split`), SGD lr 0.01 for parts 2, 3 and 5, AdamW lr 1e-3
    /// (PyTorch's default weight decay 0.01) for part 4; 1,000 epochs each.
    /// The notebooks' networks: no activation after the second layer, and a
    /// classifier that applies softmax twice.
    pub const fn course() -> Self {
        Protocol {
            name: ProtocolName::Course,
            stratified: false,
            standardize: false,
            clip_to_labels: false,
            nll_beta: 0.0,
            classifier: TrainParams::new(Optimizer::Sgd, 0.01, 0.0, 1000).with_softmax_twice(true),
            regression: TrainParams::new(Optimizer::Sgd, 0.01, 0.0, 1000),
            gaussian: TrainParams::new(Optimizer::AdamW, 1e-3, 0.01, 1000),
            joint: TrainParams::new(Optimizer::Sgd, 0.01, 0.0, 1000),
        }
    }

    /// The improved protocol (the handout says why each change; the
    /// classifier's learning rate was chosen on seeds 200–259):
    /// - a stratified split (10 training flowers of every species);
    /// - the classifier: SGD lr 0.003 instead of 0.01 (a gentler fit of 30 flowers);
    /// - the regressions: 2,000 epochs, Adam lr 1e-3 for the MSE one, AdamW's
    ///   weight decay raised to 0.1, and input jitter (Gaussian noise of
    ///   0.1 cm added to the training features at every epoch);
    /// - regression outputs clipped to the range of the label points;
    /// - ReLU after every hidden layer, and softmax applied once.
    pub const fn improved() -> Self {
        Protocol {
            name: ProtocolName::Improved,
            stratified: true,
            standardize: false,
            clip_to_labels: true,
            nll_beta: 0.0,
            classifier: TrainParams::new(Optimizer::Sgd, 0.003, 0.0, 1000)
                .with_hidden(Hidden::AllRelu),
            regression: TrainParams::new(Optimizer::Adam, 1e-3, 0.0, 2000)
                .with_noise(0.1)
                .with_hidden(Hidden::AllRelu),
            gaussian: TrainParams::new(Optimizer::AdamW, 1e-3, 0.1, 2000)
                .with_noise(0.1)
                .with_hidden(Hidden::AllRelu),
            joint: TrainParams::new(Optimizer::Sgd, 0.01, 0.0, 1000).with_hidden(Hidden::AllRelu),
        }
    }

    /// Every part's settings with the number of epochs replaced.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        for s in [
            &mut self.classifier,
            &mut self.regression,
            &mut self.gaussian,
            &mut self.joint,
        ] {
            s.epochs = epochs;
        }
        self
    }

    pub fn check(&self) -> Result<(), EmbeddingsError> {
        for s in [self.classifier, self.regression, self.gaussian, self.joint] {
            s.check()?;
        }
        Ok(())
    }
}

/// An RNG for one random stream of one seed: `stream` keeps the split, the
/// label embedding and each part's initial weights independent of each other.
/// The workspace's one scheme ([`labkit::seeds`]).
pub fn rng_for(seed: u64, stream: u64) -> rand::rngs::StdRng {
    labkit::seeds::rng(seed, stream)
}

/// The course's notebooks print the loss every this many steps.
pub const LOG_EVERY: usize = 100;

/// Flowers per class in Iris.
pub const PER_CLASS: usize = 50;
/// Each side of the split needs at least this many flowers of each class.
pub const MIN_PER_CLASS: usize = 1;

/// Training and test sizes of a split of the 150 flowers.
pub fn split_sizes(fraction: f64, stratified: bool) -> (usize, usize) {
    let n_train = if stratified {
        3 * (PER_CLASS as f64 * fraction).round() as usize
    } else {
        (3.0 * PER_CLASS as f64 * fraction).round() as usize
    };
    let n_train = n_train.min(3 * PER_CLASS);
    (n_train, 3 * PER_CLASS - n_train)
}

/// Everything a run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    /// The default seed; seeds `seed, seed + 1, …` give the spread.
    pub seed: u64,
    /// How many seeds parts 2–5 run on.
    pub n_seeds: usize,
    pub parts: Vec<Part>,
    pub protocol: Protocol,
    /// Share of the flowers used for training.
    pub train_fraction: f64,
    /// libtorch's CPU threads per operation.
    pub threads: i32,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            n_seeds: 10,
            parts: Part::ALL.to_vec(),
            protocol: Protocol::course(),
            train_fraction: 0.2,
            threads: 1,
            device: Device::Cpu,
            out: labkit::default_out("embeddings"),
            format: PlotFormat::Png,
        }
    }
}

impl LabConfig {
    pub fn check(&self) -> Result<(), EmbeddingsError> {
        self.protocol.check()?;
        let f = self.train_fraction;
        if !(f.is_finite() && f > 0.0 && f < 1.0) {
            return Err(EmbeddingsError::BadTrainFraction(f));
        }
        let (n_train, n_test) = split_sizes(f, self.protocol.stratified);
        let min = 3 * MIN_PER_CLASS;
        if n_train < min || n_test < min {
            return Err(EmbeddingsError::SplitTooSmall {
                fraction: f,
                n_train,
                n_test,
                min_per_class: MIN_PER_CLASS,
            });
        }
        if self.n_seeds < 2 {
            return Err(EmbeddingsError::TooFewSeeds(self.n_seeds));
        }
        if self.threads < 1 {
            return Err(EmbeddingsError::BadThreads(self.threads));
        }
        Ok(())
    }

    /// The seeds of the spread: `seed, seed + 1, …, seed + n_seeds − 1`.
    pub fn seeds(&self) -> Vec<u64> {
        (0..self.n_seeds as u64)
            .map(|k| self.seed.wrapping_add(k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_parse_and_unknown_ones_are_typed_errors() {
        assert_eq!("3".parse::<Part>().unwrap(), Part::Regression);
        assert!(matches!(
            "6".parse::<Part>(),
            Err(EmbeddingsError::UnknownPart(s)) if s == "6"
        ));
        assert!(matches!(
            "two".parse::<Part>(),
            Err(EmbeddingsError::UnknownPart(_))
        ));
    }

    #[test]
    fn bad_settings_are_rejected() {
        let mut p = LabConfig::default();
        p.check().unwrap();
        p.protocol = Protocol::course().with_epochs(0);
        assert!(matches!(p.check(), Err(EmbeddingsError::ZeroEpochs)));
        p.protocol = Protocol::course();
        for f in [0.0, 1.0, -0.2, f64::NAN] {
            p.train_fraction = f;
            assert!(matches!(
                p.check(),
                Err(EmbeddingsError::BadTrainFraction(_))
            ));
        }
        p.train_fraction = 0.01; // 2 training flowers
        assert!(matches!(
            p.check(),
            Err(EmbeddingsError::SplitTooSmall { n_train: 2, .. })
        ));
        p.train_fraction = 0.2;
        p.n_seeds = 1;
        assert!(matches!(p.check(), Err(EmbeddingsError::TooFewSeeds(1))));
    }

    #[test]
    fn split_sizes_follow_the_fraction() {
        assert_eq!(split_sizes(0.2, false), (30, 120));
        assert_eq!(split_sizes(0.2, true), (30, 120));
        assert_eq!(split_sizes(0.5, true), (75, 75));
    }
}
