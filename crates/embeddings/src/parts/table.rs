//! Part 1: an embedding table of 10 entries in 2-D with entry 5 as padding.
//!
//! The table starts as N(0, 1) draws (as `nn.Embedding(10, 2, padding_idx=5)`)
//! with row 5 set to zero. Looking up the batch `[[1, 2, 4, 5], [4, 3, 2, 9]]`
//! returns zeros wherever index 5 appears. One SGD step that pulls every
//! looked-up entry towards (1, 1) moves rows 1, 2, 3, 4 and 9, leaves the rows
//! that were not looked up (0, 6, 7, 8) alone and leaves row 5 exactly zero:
//! libtorch's embedding backward gives the padding row a zero gradient.

use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, nn::VarStore, Device, Kind, Tensor};

use crate::params::rng_for;
use crate::parts::rows;
use crate::table::EmbeddingTable;
use crate::EmbeddingsError;

pub const ENTRIES: usize = 10;
pub const DIM: usize = 2;
pub const PADDING: i64 = 5;
/// The looked-up batch (the example of PyTorch's `nn.Embedding` documentation).
pub const BATCH: [[i64; 4]; 2] = [[1, 2, 4, 5], [4, 3, 2, 9]];
/// Learning rate of the one SGD step.
pub const STEP_LR: f64 = 0.1;
/// The random stream of the table.
pub const STREAM: u64 = 10;

/// What part 1 shows.
#[derive(Debug, Clone, Serialize)]
pub struct TableRun {
    pub seed: u64,
    pub padding_idx: i64,
    pub batch: Vec<Vec<i64>>,
    /// The table (10 × 2) before and after the step.
    pub before: Vec<Vec<f64>>,
    pub after: Vec<Vec<f64>>,
    /// The lookup of `batch` (2 × 4 × 2) before the step.
    pub lookup: Vec<Vec<Vec<f64>>>,
    /// The gradient of the step's loss with respect to the table (10 × 2).
    pub gradient: Vec<Vec<f64>>,
    /// How far each row moved in the step.
    pub moved: Vec<f64>,
    /// Row 5 is exactly (0, 0) before and after the step.
    pub padding_zero_before: bool,
    pub padding_zero_after: bool,
    pub loss: f64,
}

fn row_is_zero(t: &Tensor, i: i64) -> Result<bool, EmbeddingsError> {
    let v = Vec::<f32>::try_from(&t.get(i).to_device(Device::Cpu))?;
    Ok(v.iter().all(|&x| x == 0.0))
}

/// Builds the table, looks up the batch and takes one SGD step.
pub fn run(seed: u64, device: Device) -> Result<TableRun, EmbeddingsError> {
    let vs = VarStore::new(device);
    let table = EmbeddingTable::new(
        &vs.root(),
        ENTRIES,
        DIM,
        1.0,
        Some(PADDING),
        None,
        &mut rng_for(seed, STREAM),
    )?;
    let before = table.snapshot();
    let flat: Vec<i64> = BATCH.iter().flatten().copied().collect();
    let idx = Tensor::from_slice(&flat).view([2, 4]).to_device(device);
    let out = table.forward(&idx)?;
    let lookup = (0..2)
        .map(|b| rows(&out.get(b).detach()))
        .collect::<Result<Vec<_>, _>>()?;
    let loss = (&out - 1.0).square().sum(Kind::Float);
    let mut opt = nn::Sgd::default().build(&vs, STEP_LR)?;
    opt.zero_grad();
    loss.backward();
    let gradient = rows(&table.weight.grad())?;
    opt.step();
    let after = table.snapshot();
    let moved = (&after - &before)
        .square()
        .sum_dim_intlist([1i64].as_slice(), false, Kind::Double)
        .sqrt();
    Ok(TableRun {
        seed,
        padding_idx: PADDING,
        batch: BATCH.iter().map(|r| r.to_vec()).collect(),
        before: rows(&before)?,
        after: rows(&after)?,
        lookup,
        gradient,
        moved: Vec::<f64>::try_from(&moved.to_device(Device::Cpu))?,
        padding_zero_before: row_is_zero(&before, PADDING)?,
        padding_zero_after: row_is_zero(&after, PADDING)?,
        loss: loss.double_value(&[]),
    })
}

/// The printed part 1: the table before and after the step, row by row.
pub fn describe(r: &TableRun) -> String {
    let rows: Vec<Vec<String>> = (0..r.before.len())
        .map(|i| {
            let f = |v: &[f64]| format!("({:+.3}, {:+.3})", v[0], v[1]);
            let note = if i as i64 == r.padding_idx {
                "padding"
            } else if r.moved[i] > 0.0 {
                "looked up"
            } else {
                ""
            };
            vec![
                i.to_string(),
                f(&r.before[i]),
                f(&r.after[i]),
                format!("{:.4}", r.moved[i]),
                note.into(),
            ]
        })
        .collect();
    format!(
        "part 1: lookup of {:?}, loss {:.4}, one SGD step (lr {STEP_LR}); padding row zero before: {}, after: {}\n{}\n",
        r.batch,
        r.loss,
        r.padding_zero_before,
        r.padding_zero_after,
        labkit::table(&["entry", "before", "after", "moved", ""], &rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_stays_zero_and_only_looked_up_rows_move() {
        let r = run(100, Device::Cpu).unwrap();
        assert!(r.padding_zero_before && r.padding_zero_after);
        assert_eq!(r.before[5], vec![0.0, 0.0]);
        assert_eq!(r.after[5], vec![0.0, 0.0]);
        assert_eq!(r.gradient[5], vec![0.0, 0.0]);
        assert_eq!(
            r.lookup[0][3],
            vec![0.0, 0.0],
            "batch[0][3] is the padding index"
        );
        for i in [1, 2, 3, 4, 9] {
            assert!(r.moved[i] > 1e-3, "row {i} moved {}", r.moved[i]);
        }
        for i in [0, 5, 6, 7, 8] {
            assert_eq!(r.moved[i], 0.0, "row {i}");
        }
        // Row 4 appears twice and row 2 twice: the gradient 2·(e − 1) is summed over
        // both look-ups, so after the step e' = e − 0.1·4·(e − 1) = 0.6·e + 0.4.
        for i in [2usize, 4] {
            for d in 0..2 {
                let want = 0.6 * r.before[i][d] + 0.4;
                assert!((r.after[i][d] - want).abs() < 1e-5, "row {i}");
            }
        }
    }
}
