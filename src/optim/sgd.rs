//! `torch.optim.SGD` for Rust programs.

use super::functional::sgd_step;
use super::kernels::SgdHyper;
use super::{non_negative, Grouped, UpdateRule};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// SGD hyperparameters (PyTorch's defaults: `lr=1e-3`, everything else off).
pub type SgdOptions = SgdHyper;

impl Default for SgdHyper {
    fn default() -> Self {
        SgdOptions { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

/// Stochastic gradient descent, optionally with momentum. State: a `momentum_buffer` per
/// parameter once it has been stepped with momentum; none without momentum.
pub type Sgd = Grouped<SgdOptions>;

impl Sgd {
    /// The momentum buffer of `p` (`state[p]['momentum_buffer']`).
    pub fn momentum_buffer(&self, p: &Tensor) -> Option<&Tensor> {
        self.state(p)
    }
}

impl UpdateRule for SgdOptions {
    type State = Tensor;

    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.momentum, "Invalid momentum value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::value("Nesterov momentum requires a momentum and zero dampening"));
        }
        Ok(())
    }

    fn step_group(&self, params: &[Tensor], grads: &[Tensor], states: &mut [Option<Tensor>]) -> Result<()> {
        let h = *self;
        if h.momentum == 0.0 {
            return sgd_step(params, grads, &mut [], &h);
        }
        sgd_step(params, grads, states, &h)
    }
}
