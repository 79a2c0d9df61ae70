//! `torch.optim.RMSprop` for Rust programs.

use super::functional::{new_step, rmsprop_step};
use super::kernels::RmspropHyper;
use super::{init_states, non_negative, pick, Grouped, UpdateRule};
use crate::error::Result;
use crate::tensor::Tensor;

/// RMSprop hyperparameters (PyTorch's defaults: `lr=1e-2`, `alpha=0.99`, `eps=1e-8`).
pub type RmspropOptions = RmspropHyper;

impl Default for RmspropHyper {
    fn default() -> Self {
        RmspropOptions { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false, maximize: false }
    }
}

/// The state of one parameter, as PyTorch keeps it.
#[derive(Clone, Debug)]
pub struct RmspropState {
    /// steps taken (a 0-d float32 tensor)
    pub step: Tensor,
    /// running average of the squared gradient
    pub square_avg: Tensor,
    /// momentum buffer (momentum > 0 only)
    pub momentum_buffer: Option<Tensor>,
    /// running average of the gradient (centered only)
    pub grad_avg: Option<Tensor>,
}

/// RMSprop.
pub type Rmsprop = Grouped<RmspropOptions>;

impl UpdateRule for RmspropOptions {
    type State = RmspropState;

    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.eps, "Invalid epsilon value")?;
        non_negative(self.momentum, "Invalid momentum value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        non_negative(self.alpha, "Invalid alpha value")
    }

    fn step_group(&self, params: &[Tensor], grads: &[Tensor], states: &mut [Option<RmspropState>]) -> Result<()> {
        let h = *self;
        let states = init_states(params, states, |p| {
            let zeros = || Tensor::zeros(&p.shape(), p.dtype());
            RmspropState {
                step: new_step(),
                square_avg: zeros(),
                momentum_buffer: (h.momentum > 0.0).then(zeros),
                grad_avg: h.centered.then(zeros),
            }
        });
        let grad_avgs = if h.centered { pick(&states, |s| s.grad_avg.as_ref())? } else { vec![] };
        let bufs = if h.momentum > 0.0 { pick(&states, |s| s.momentum_buffer.as_ref())? } else { vec![] };
        let (square_avgs, steps) = (pick(&states, |s| Some(&s.square_avg))?, pick(&states, |s| Some(&s.step))?);
        rmsprop_step(params, grads, &square_avgs, &grad_avgs, &bufs, &steps, &h)
    }
}
