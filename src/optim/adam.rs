//! `torch.optim.Adam` and `torch.optim.AdamW` for Rust programs.

use super::functional::{adam_step, new_step};
use super::kernels::AdamHyper;
use super::{init_states, non_negative, pick, Grouped, UpdateRule};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Adam hyperparameters (PyTorch's defaults: `lr=1e-3`, `betas=(0.9, 0.999)`, `eps=1e-8`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamOptions {
    /// learning rate
    pub lr: f64,
    /// decay rates of the first and second moments
    pub betas: (f64, f64),
    /// term added to the denominator
    pub eps: f64,
    /// weight decay: L2 penalty, or AdamW's decoupled shrink
    pub weight_decay: f64,
    /// AMSGrad: normalise by the running maximum of the second moment
    pub amsgrad: bool,
    /// maximize the objective instead of minimizing it
    pub maximize: bool,
    /// AdamW: `p *= 1 - lr * weight_decay` instead of an L2 term in the gradient
    pub decoupled_weight_decay: bool,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: false,
        }
    }
}

impl AdamOptions {
    /// AdamW's defaults: Adam's with `weight_decay=0.01`, decoupled.
    pub fn adamw() -> Self {
        AdamOptions { weight_decay: 1e-2, decoupled_weight_decay: true, ..Default::default() }
    }

    fn hyper(&self) -> AdamHyper {
        AdamHyper {
            lr: self.lr,
            beta1: self.betas.0,
            beta2: self.betas.1,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            maximize: self.maximize,
            decoupled_weight_decay: self.decoupled_weight_decay,
        }
    }
}

/// The state of one parameter, as PyTorch keeps it.
#[derive(Clone, Debug)]
pub struct AdamState {
    /// steps taken (a 0-d float32 tensor)
    pub step: Tensor,
    /// first moment
    pub exp_avg: Tensor,
    /// second moment
    pub exp_avg_sq: Tensor,
    /// running maximum of the second moment (amsgrad only)
    pub max_exp_avg_sq: Option<Tensor>,
}

/// Adam (and AdamW with `decoupled_weight_decay`).
pub type Adam = Grouped<AdamOptions>;

/// AdamW: Adam with decoupled weight decay ([`AdamOptions::adamw`] gives its defaults).
pub struct AdamW;

impl AdamW {
    /// An [`Adam`] over one group with `decoupled_weight_decay` forced on, as `torch.optim.AdamW`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(params: Vec<Tensor>, options: AdamOptions) -> Result<Adam> {
        Adam::new(params, AdamOptions { decoupled_weight_decay: true, ..options })
    }
}

impl UpdateRule for AdamOptions {
    type State = AdamState;

    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.eps, "Invalid epsilon value")?;
        for (i, beta) in [self.betas.0, self.betas.1].into_iter().enumerate() {
            if !(0.0..1.0).contains(&beta) {
                return Err(Error::value(format!("Invalid beta parameter at index {i}: {beta}")));
            }
        }
        non_negative(self.weight_decay, "Invalid weight_decay value")
    }

    fn step_group(&self, params: &[Tensor], grads: &[Tensor], states: &mut [Option<AdamState>]) -> Result<()> {
        let h = self.hyper();
        let states = init_states(params, states, |p| {
            let zeros = || Tensor::zeros(&p.shape(), p.dtype());
            AdamState { step: new_step(), exp_avg: zeros(), exp_avg_sq: zeros(), max_exp_avg_sq: h.amsgrad.then(zeros) }
        });
        let max_sqs = if h.amsgrad { pick(&states, |s| s.max_exp_avg_sq.as_ref())? } else { vec![] };
        let (m, v, steps) = (pick(&states, |s| Some(&s.exp_avg))?, pick(&states, |s| Some(&s.exp_avg_sq))?, pick(&states, |s| Some(&s.step))?);
        adam_step(params, grads, &m, &v, &max_sqs, &steps, &h)
    }
}
