//! `torch.optim.Adagrad` for Rust programs.

use super::functional::{adagrad_step, new_step};
use super::kernels::AdagradHyper;
use super::{init_states, non_negative, pick, Grouped, UpdateRule};
use crate::error::Result;
use crate::tensor::Tensor;

/// Adagrad hyperparameters (PyTorch's defaults: `lr=1e-2`, `eps=1e-10`, the rest 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradOptions {
    /// learning rate
    pub lr: f64,
    /// learning-rate decay
    pub lr_decay: f64,
    /// weight decay (L2 penalty)
    pub weight_decay: f64,
    /// starting value of the squared-gradient sums
    pub initial_accumulator_value: f64,
    /// term added to the denominator
    pub eps: f64,
    /// maximize the objective instead of minimizing it
    pub maximize: bool,
}

impl Default for AdagradOptions {
    fn default() -> Self {
        AdagradOptions { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10, maximize: false }
    }
}

impl AdagradOptions {
    fn hyper(&self) -> AdagradHyper {
        AdagradHyper { lr: self.lr, lr_decay: self.lr_decay, weight_decay: self.weight_decay, eps: self.eps, maximize: self.maximize }
    }
}

/// The state of one parameter, created with the optimizer as in PyTorch.
#[derive(Clone, Debug)]
pub struct AdagradState {
    /// steps taken (a 0-d float32 tensor)
    pub step: Tensor,
    /// sum of squared gradients, starting at `initial_accumulator_value`
    pub sum: Tensor,
}

/// Adagrad (its state is created with the optimizer).
pub type Adagrad = Grouped<AdagradOptions>;

fn fresh_state(p: &Tensor, initial: f64) -> AdagradState {
    AdagradState { step: new_step(), sum: Tensor::full(&p.shape(), initial, p.dtype()) }
}

impl UpdateRule for AdagradOptions {
    type State = AdagradState;

    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.lr_decay, "Invalid lr_decay value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        non_negative(self.initial_accumulator_value, "Invalid initial_accumulator_value value")?;
        non_negative(self.eps, "Invalid epsilon value")
    }

    fn eager_state(&self, p: &Tensor) -> Option<AdagradState> {
        Some(fresh_state(p, self.initial_accumulator_value))
    }

    fn step_group(&self, params: &[Tensor], grads: &[Tensor], states: &mut [Option<AdagradState>]) -> Result<()> {
        let states = init_states(params, states, |p| fresh_state(p, self.initial_accumulator_value));
        let (sums, steps) = (pick(&states, |s| Some(&s.sum))?, pick(&states, |s| Some(&s.step))?);
        adagrad_step(params, grads, &sums, &steps, &self.hyper())
    }
}
