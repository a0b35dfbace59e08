//! Forward and backward passes written by hand.
//!
//! Each layer is a pair of functions, its forward step directly above its
//! backward step: affine (`s = a·W + b`), ReLU, and softmax with the NLL
//! loss. `Workspace::forward` runs them input to output and
//! `Workspace::backward` output to input; [`fcann2_classify`] is the forward
//! pass alone and [`loss_and_gradients`] one pass each way.
//!
//! Speed: every intermediate matrix lives in a `Workspace` allocated once
//! for a given N, D, H and C. A training step writes into those buffers
//! (matrix products through `general_mat_mul`, everything else in place), so
//! it allocates nothing.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Zip};

use crate::checks::{check_finite, check_fit};
use crate::{Fcann2Error, Fcann2Model};

// ---------------------------------------------------------------------------
// Affine layer: s = a·W + b
// ---------------------------------------------------------------------------

/// Forward: `out = a·W + b` (b added to every row).
fn affine_forward(a: ArrayView2<f64>, w: &Array2<f64>, b: &Array1<f64>, out: &mut Array2<f64>) {
    // exercise(fcann2.forward) begin
    out.assign(b); // every row starts as b ...
    general_mat_mul(1.0, &a, w, 1.0, out); // ... and a·W is added on top
                                           // exercise(fcann2.forward) end
}

/// Backward: from `g_out = ∂L/∂s`, the weight gradients
/// `∂W = aᵀ·g_out + λ·W` (the L2 term's share) and `∂b = column sums of g_out`.
fn affine_backward(
    a: ArrayView2<f64>,
    w: &Array2<f64>,
    g_out: &Array2<f64>,
    lambda: f64,
    dw: &mut Array2<f64>,
    db: &mut Array1<f64>,
) {
    // exercise(fcann2.backward) begin
    dw.assign(w);
    general_mat_mul(1.0, &a.t(), g_out, lambda, dw); // aᵀ·g_out + λ·W
    for (db, column) in db.iter_mut().zip(g_out.columns()) {
        *db = column.sum();
    }
    // exercise(fcann2.backward) end
}

/// Backward to the layer's input: `g_a = g_out·Wᵀ`.
fn affine_backward_input(w: &Array2<f64>, g_out: &Array2<f64>, g_a: &mut Array2<f64>) {
    // exercise(fcann2.backward) begin
    general_mat_mul(1.0, g_out, &w.t(), 0.0, g_a);
    // exercise(fcann2.backward) end
}

// ---------------------------------------------------------------------------
// ReLU: h = max(0, s)
// ---------------------------------------------------------------------------

/// Forward: `h = max(0, s)`, written so that a NaN stays NaN (and training
/// that blew up is reported, not hidden behind zeros).
fn relu_forward(s: &Array2<f64>, h: &mut Array2<f64>) {
    // exercise(fcann2.forward) begin
    Zip::from(h)
        .and(s)
        .for_each(|h, &s| *h = if s < 0.0 { 0.0 } else { s });
    // exercise(fcann2.forward) end
}

/// Backward: `g_s = g_h ⊙ [s > 0]`: the gradient passes where the unit fired.
fn relu_backward(s: &Array2<f64>, g_h: &Array2<f64>, g_s: &mut Array2<f64>) {
    // exercise(fcann2.backward) begin
    Zip::from(g_s)
        .and(g_h)
        .and(s)
        .for_each(|g_s, &g_h, &s| *g_s = if s > 0.0 { g_h } else { 0.0 });
    // exercise(fcann2.backward) end
}

// ---------------------------------------------------------------------------
// Softmax and the mean negative log-likelihood
// ---------------------------------------------------------------------------

/// Forward: `P = softmax(s)` row by row. The row maximum m is subtracted
/// before `exp`, so nothing overflows; m and the row sum z of `exp(s − m)`
/// are kept, which gives `log P[i, k] = s[i, k] − m_i − ln z_i` for the loss.
fn softmax_forward(
    s: &Array2<f64>,
    p: &mut Array2<f64>,
    row_max: &mut Array1<f64>,
    row_sum: &mut Array1<f64>,
) {
    // exercise(fcann2.forward) begin
    Zip::from(s.rows())
        .and(p.rows_mut())
        .and(row_max)
        .and(row_sum)
        .for_each(|s, mut p, m, z| {
            *m = s.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let mut sum = 0.0;
            Zip::from(&mut p).and(&s).for_each(|p, &s| {
                *p = (s - *m).exp();
                sum += *p;
            });
            p /= sum;
            *z = sum;
        });
    // exercise(fcann2.forward) end
}

/// The loss `−(1/N) Σ_i log P[i, y_i]`, from the forward pass's `s`, m and z.
fn nll(s: &Array2<f64>, row_max: &Array1<f64>, row_sum: &Array1<f64>, y: &[usize]) -> f64 {
    // exercise(fcann2.forward) begin
    let total: f64 = y
        .iter()
        .enumerate()
        .map(|(i, &c)| row_max[i] + row_sum[i].ln() - s[[i, c]])
        .sum();
    total / y.len() as f64
    // exercise(fcann2.forward) end
}

/// Backward: `G_s = (P − Yoh) / N`. Yoh has a single 1 per row, in the true
/// class's column, so it is subtracted entry by entry instead of being stored.
fn softmax_nll_backward(p: &Array2<f64>, y: &[usize], g_s: &mut Array2<f64>) {
    // exercise(fcann2.backward) begin
    let inv_n = 1.0 / y.len() as f64;
    Zip::from(&mut *g_s).and(p).for_each(|g, &p| *g = p * inv_n);
    for (i, &c) in y.iter().enumerate() {
        g_s[[i, c]] -= inv_n;
    }
    // exercise(fcann2.backward) end
}

// ---------------------------------------------------------------------------
// The whole net
// ---------------------------------------------------------------------------

/// ∂loss/∂W1, ∂b1, ∂W2, ∂b2: the same shapes as the weights.
#[derive(Debug, Clone)]
pub struct Gradients {
    pub w1: Array2<f64>,
    pub b1: Array1<f64>,
    pub w2: Array2<f64>,
    pub b2: Array1<f64>,
}

/// Every intermediate matrix of one forward and backward pass over N rows,
/// allocated once and overwritten by each pass. Its methods expect inputs
/// whose shapes were checked (by [`crate::Trainer`], [`loss_and_gradients`] or
/// [`fcann2_classify`]), so it is not public.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    s1: Array2<f64>,      // N × H
    h1: Array2<f64>,      // N × H
    s2: Array2<f64>,      // N × C
    p: Array2<f64>,       // N × C
    row_max: Array1<f64>, // N
    row_sum: Array1<f64>, // N
    g_s2: Array2<f64>,    // N × C
    g_h1: Array2<f64>,    // N × H
    g_s1: Array2<f64>,    // N × H
    grad: Gradients,
}

impl Workspace {
    /// Buffers for `n` rows through `model`'s shapes.
    pub(crate) fn new(n: usize, model: &Fcann2Model) -> Self {
        let (d, h, c) = (model.n_inputs(), model.n_hidden(), model.n_classes());
        Workspace {
            s1: Array2::zeros((n, h)),
            h1: Array2::zeros((n, h)),
            s2: Array2::zeros((n, c)),
            p: Array2::zeros((n, c)),
            row_max: Array1::zeros(n),
            row_sum: Array1::zeros(n),
            g_s2: Array2::zeros((n, c)),
            g_h1: Array2::zeros((n, h)),
            g_s1: Array2::zeros((n, h)),
            grad: Gradients {
                w1: Array2::zeros((d, h)),
                b1: Array1::zeros(h),
                w2: Array2::zeros((h, c)),
                b2: Array1::zeros(c),
            },
        }
    }

    /// Input to output. `x` must be N × D with the N and model of [`Workspace::new`].
    pub(crate) fn forward(&mut self, m: &Fcann2Model, x: ArrayView2<f64>) {
        // exercise(fcann2.forward) begin
        // s1 = X·W1 + b1
        affine_forward(x, &m.w1, &m.b1, &mut self.s1);
        // h1 = ReLU(s1)
        relu_forward(&self.s1, &mut self.h1);
        // s2 = h1·W2 + b2
        affine_forward(self.h1.view(), &m.w2, &m.b2, &mut self.s2);
        // P = softmax(s2)
        softmax_forward(&self.s2, &mut self.p, &mut self.row_max, &mut self.row_sum);
        // exercise(fcann2.forward) end
    }

    /// Output to input, after [`Workspace::forward`] on the same `x`; labels
    /// `y` (length N, each < C). Leaves the gradients in `self.grad`.
    pub(crate) fn backward(
        &mut self,
        m: &Fcann2Model,
        x: ArrayView2<f64>,
        y: &[usize],
        lambda: f64,
    ) {
        // exercise(fcann2.backward) begin
        let (h1, g) = (self.h1.view(), &mut self.grad);
        // P = softmax(s2), loss = mean NLL    →  G_s2 = (P − Yoh)/N
        softmax_nll_backward(&self.p, y, &mut self.g_s2);
        // s2 = h1·W2 + b2                     →  ∂W2 = h1ᵀ·G_s2 + λ·W2, ∂b2 = column sums of G_s2
        affine_backward(h1, &m.w2, &self.g_s2, lambda, &mut g.w2, &mut g.b2);
        //                                     →  G_h1 = G_s2·W2ᵀ
        affine_backward_input(&m.w2, &self.g_s2, &mut self.g_h1);
        // h1 = ReLU(s1)                       →  G_s1 = G_h1 ⊙ [s1 > 0]
        relu_backward(&self.s1, &self.g_h1, &mut self.g_s1);
        // s1 = X·W1 + b1                      →  ∂W1 = Xᵀ·G_s1 + λ·W1, ∂b1 = column sums of G_s1
        affine_backward(x, &m.w1, &self.g_s1, lambda, &mut g.w1, &mut g.b1);
        // exercise(fcann2.backward) end
    }

    /// `mean NLL + λ/2·(‖W1‖² + ‖W2‖²)` of the last forward pass (with `m`'s weights).
    pub(crate) fn loss(&self, m: &Fcann2Model, y: &[usize], lambda: f64) -> f64 {
        nll(&self.s2, &self.row_max, &self.row_sum, y) + 0.5 * lambda * m.weight_norm_sq()
    }

    /// P (N × C) of the last forward pass.
    pub(crate) fn into_probabilities(self) -> Array2<f64> {
        self.p
    }

    /// The gradients of the last backward pass.
    pub(crate) fn gradients(&self) -> &Gradients {
        &self.grad
    }
}

/// Class probabilities P (N × C) of the rows of x (N × D): the forward pass
/// of training, run once.
pub fn fcann2_classify(
    x: ArrayView2<f64>,
    model: &Fcann2Model,
) -> Result<Array2<f64>, Fcann2Error> {
    if x.ncols() != model.n_inputs() {
        return Err(Fcann2Error::InputDim {
            expected: model.n_inputs(),
            found: x.ncols(),
        });
    }
    check_finite(x)?;
    let mut ws = Workspace::new(x.nrows(), model);
    ws.forward(model, x);
    Ok(ws.into_probabilities())
}

/// The loss `mean NLL + λ/2·(‖W1‖² + ‖W2‖²)` of `model` on (x, y) and its
/// gradients, from one forward and one backward pass: for checking the
/// gradients yourself (against finite differences, say).
pub fn loss_and_gradients(
    x: ArrayView2<f64>,
    y: &[usize],
    model: &Fcann2Model,
    lambda: f64,
) -> Result<(f64, Gradients), Fcann2Error> {
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(Fcann2Error::BadLambda(lambda));
    }
    check_fit(x, y, model)?;
    let mut ws = Workspace::new(x.nrows(), model);
    ws.forward(model, x);
    ws.backward(model, x, y, lambda);
    Ok((ws.loss(model, y, lambda), ws.grad))
}

#[cfg(test)]
mod tests;
