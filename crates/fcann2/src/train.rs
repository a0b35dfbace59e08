//! Plain whole-batch gradient descent: the [`Trainer`] (one step at a time)
//! and [`fcann2_train`] (the course's `fcann2_train`), which logs the loss.

use ndarray::ArrayView2;
use rand::Rng;
use serde::Serialize;

use crate::backprop::Workspace;
use crate::checks::{check_data, check_fit};
use crate::{Fcann2Error, Fcann2Model, TrainParams};

/// Plain gradient descent on one data set, one step at a time.
#[derive(Debug)]
pub struct Trainer<'a> {
    x: ArrayView2<'a, f64>,
    y: &'a [usize],
    delta: f64,
    lambda: f64,
    /// The reported loss is the mean-convention loss times this (N for the
    /// summed loss, 1 for the mean).
    loss_scale: f64,
    model: Fcann2Model,
    ws: Workspace,
}

impl<'a> Trainer<'a> {
    /// Checks `params` and the data, then draws the initial weights from `rng`
    /// (see [`Fcann2Model::init`]); C is max(y) + 1.
    pub fn new<R: Rng + ?Sized>(
        x: ArrayView2<'a, f64>,
        y: &'a [usize],
        params: &TrainParams,
        rng: &mut R,
    ) -> Result<Self, Fcann2Error> {
        params.check()?;
        let c = check_data(x, y)?;
        let model = Fcann2Model::init(x.ncols(), params.hidden, c, rng)?;
        Self::from_model(x, y, params, model)
    }

    /// Starts from given weights; they must fit D and every label.
    /// `params.hidden` is ignored in favour of the model's own H.
    pub fn from_model(
        x: ArrayView2<'a, f64>,
        y: &'a [usize],
        params: &TrainParams,
        model: Fcann2Model,
    ) -> Result<Self, Fcann2Error> {
        params.check()?;
        check_fit(x, y, &model)?;
        let ws = Workspace::new(x.nrows(), &model);
        // Σ NLL + λ/2‖W‖² = N·(mean NLL + (λ/N)/2‖W‖²): its gradient step with
        // δ is the mean's step with δ·N and λ/N.
        let n = if params.loss_sum {
            x.nrows() as f64
        } else {
            1.0
        };
        Ok(Trainer {
            x,
            y,
            delta: params.delta * n,
            lambda: params.lambda / n,
            loss_scale: n,
            model,
            ws,
        })
    }

    fn forward_backward(&mut self) {
        self.ws.forward(&self.model, self.x);
        self.ws.backward(&self.model, self.x, self.y, self.lambda);
    }

    /// W ← W − δ·∂W for every weight and bias.
    fn update(&mut self) {
        // exercise(fcann2.train) begin
        let (m, g, d) = (&mut self.model, self.ws.gradients(), -self.delta);
        m.w1.scaled_add(d, &g.w1);
        m.b1.scaled_add(d, &g.b1);
        m.w2.scaled_add(d, &g.w2);
        m.b2.scaled_add(d, &g.b2);
        // exercise(fcann2.train) end
    }

    /// One whole-batch step: forward, backward, update. Allocates nothing.
    pub fn step(&mut self) {
        self.forward_backward();
        self.update();
    }

    /// [`Trainer::step`], returning the loss of its forward pass (the
    /// weights before this step's update).
    pub fn step_with_loss(&mut self) -> f64 {
        self.forward_backward();
        let loss = self.ws.loss(&self.model, self.y, self.lambda) * self.loss_scale;
        self.update();
        loss
    }

    pub fn model(&self) -> &Fcann2Model {
        &self.model
    }

    pub fn into_model(self) -> Fcann2Model {
        self.model
    }
}

/// The losses reported during training.
#[derive(Debug, Clone, Serialize)]
pub struct TrainLog {
    /// (i, loss) pairs: the loss computed in step i, with the weights after
    /// i − 1 updates. Logged at step 1, every `log_every` steps and at the last step.
    pub losses: Vec<(usize, f64)>,
    /// The loss of step 1 (the initial weights).
    pub initial_loss: f64,
    /// The loss of the last step.
    pub final_loss: f64,
}

/// Trains the two-layer net on X (N × D) and labels y (C = max(y) + 1
/// classes) by `params.niter` whole-batch gradient steps. The initial weights
/// come from `rng`. `on_log(i, loss, model)` runs at every logged step (see
/// [`TrainLog`]); a loss that is not finite there stops training with
/// [`Fcann2Error::Diverged`].
pub fn fcann2_train<R: Rng + ?Sized>(
    x: ArrayView2<f64>,
    y: &[usize],
    params: &TrainParams,
    rng: &mut R,
    mut on_log: impl FnMut(usize, f64, &Fcann2Model),
) -> Result<(Fcann2Model, TrainLog), Fcann2Error> {
    let mut trainer = Trainer::new(x.reborrow(), y, params, rng)?;
    // exercise(fcann2.train) begin
    let mut losses = Vec::with_capacity(params.niter / params.log_every + 2);
    let mut logged_step = |trainer: &mut Trainer<'_>, i: usize| {
        let loss = trainer.step_with_loss();
        if !loss.is_finite() {
            return Err(Fcann2Error::Diverged { iter: i, loss });
        }
        losses.push((i, loss));
        on_log(i, loss, trainer.model());
        Ok(loss)
    };
    let initial_loss = logged_step(&mut trainer, 1)?;
    let mut final_loss = initial_loss;
    for i in 2..=params.niter {
        if i % params.log_every == 0 || i == params.niter {
            final_loss = logged_step(&mut trainer, i)?;
        } else {
            trainer.step();
        }
    }
    let log = TrainLog {
        losses,
        initial_loss,
        final_loss,
    };
    Ok((trainer.into_model(), log))
    // exercise(fcann2.train) end
}

#[cfg(test)]
mod tests;
