//! `torch.optim.Adam` and `torch.optim.AdamW` for Rust programs.

use std::collections::HashMap;

use super::functional::{adam_step, new_step};
use super::kernels::AdamHyper;
use super::{check_groups, non_negative, with_grads, Optimizer, ParamGroup};
use crate::autograd::GradModeGuard;
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
pub struct Adam {
    groups: Vec<ParamGroup<AdamOptions>>,
    state: HashMap<usize, AdamState>,
}

/// AdamW: Adam with decoupled weight decay ([`AdamOptions::adamw`] gives its defaults).
pub struct AdamW;

impl AdamW {
    /// An [`Adam`] over one group with `decoupled_weight_decay` forced on, as `torch.optim.AdamW`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(params: Vec<Tensor>, options: AdamOptions) -> Result<Adam> {
        Adam::new(params, AdamOptions { decoupled_weight_decay: true, ..options })
    }
}

impl Adam {
    /// One group of `params`.
    pub fn new(params: Vec<Tensor>, options: AdamOptions) -> Result<Adam> {
        Self::with_groups(vec![ParamGroup { params, options }])
    }

    /// Several groups, each with its own options.
    pub fn with_groups(groups: Vec<ParamGroup<AdamOptions>>) -> Result<Adam> {
        for g in &groups {
            g.options.validate()?;
        }
        check_groups(&groups)?;
        Ok(Adam { groups, state: HashMap::new() })
    }

    /// The state of `p` once it has been stepped.
    pub fn state(&self, p: &Tensor) -> Option<&AdamState> {
        self.state.get(&p.id())
    }
}

impl Optimizer for Adam {
    type Options = AdamOptions;

    fn param_groups(&self) -> &[ParamGroup<AdamOptions>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<AdamOptions>] {
        &mut self.groups
    }

    fn step(&mut self) -> Result<()> {
        let _no_grad = GradModeGuard::new(false);
        for group in &self.groups {
            let (params, grads) = with_grads(group);
            let h = group.options.hyper();
            let states: Vec<AdamState> = params
                .iter()
                .map(|p| {
                    self.state
                        .entry(p.id())
                        .or_insert_with(|| {
                            let zeros = || Tensor::zeros(&p.shape(), p.dtype());
                            AdamState { step: new_step(), exp_avg: zeros(), exp_avg_sq: zeros(), max_exp_avg_sq: h.amsgrad.then(zeros) }
                        })
                        .clone()
                })
                .collect();
            let pick = |f: fn(&AdamState) -> Option<&Tensor>| -> Result<Vec<Tensor>> {
                states.iter().map(|s| f(s).cloned().ok_or_else(|| Error::runtime("missing optimizer state"))).collect()
            };
            let max_sqs = if h.amsgrad { pick(|s| s.max_exp_avg_sq.as_ref())? } else { vec![] };
            adam_step(
                &params,
                &grads,
                &pick(|s| Some(&s.exp_avg))?,
                &pick(|s| Some(&s.exp_avg_sq))?,
                &max_sqs,
                &pick(|s| Some(&s.step))?,
                &h,
            )?;
        }
        Ok(())
    }
}
