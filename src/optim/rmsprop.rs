//! `torch.optim.RMSprop` for Rust programs.

use std::collections::HashMap;

use super::functional::{new_step, rmsprop_step};
use super::kernels::RmspropHyper;
use super::{check_groups, non_negative, with_grads, Optimizer, ParamGroup};
use crate::autograd::GradModeGuard;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// RMSprop hyperparameters (PyTorch's defaults: `lr=1e-2`, `alpha=0.99`, `eps=1e-8`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmspropOptions {
    /// learning rate
    pub lr: f64,
    /// smoothing constant
    pub alpha: f64,
    /// term added to the denominator
    pub eps: f64,
    /// weight decay (L2 penalty)
    pub weight_decay: f64,
    /// momentum factor
    pub momentum: f64,
    /// normalise by the estimated variance of the gradient
    pub centered: bool,
    /// maximize the objective instead of minimizing it
    pub maximize: bool,
}

impl Default for RmspropOptions {
    fn default() -> Self {
        RmspropOptions { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false, maximize: false }
    }
}

impl RmspropOptions {
    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.eps, "Invalid epsilon value")?;
        non_negative(self.momentum, "Invalid momentum value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        non_negative(self.alpha, "Invalid alpha value")
    }

    fn hyper(&self) -> RmspropHyper {
        RmspropHyper {
            lr: self.lr,
            alpha: self.alpha,
            eps: self.eps,
            weight_decay: self.weight_decay,
            momentum: self.momentum,
            centered: self.centered,
            maximize: self.maximize,
        }
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
pub struct Rmsprop {
    groups: Vec<ParamGroup<RmspropOptions>>,
    state: HashMap<usize, RmspropState>,
}

impl Rmsprop {
    /// One group of `params`.
    pub fn new(params: Vec<Tensor>, options: RmspropOptions) -> Result<Rmsprop> {
        Self::with_groups(vec![ParamGroup { params, options }])
    }

    /// Several groups, each with its own options.
    pub fn with_groups(groups: Vec<ParamGroup<RmspropOptions>>) -> Result<Rmsprop> {
        for g in &groups {
            g.options.validate()?;
        }
        check_groups(&groups)?;
        Ok(Rmsprop { groups, state: HashMap::new() })
    }

    /// The state of `p` once it has been stepped.
    pub fn state(&self, p: &Tensor) -> Option<&RmspropState> {
        self.state.get(&p.id())
    }
}

impl Optimizer for Rmsprop {
    type Options = RmspropOptions;

    fn param_groups(&self) -> &[ParamGroup<RmspropOptions>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<RmspropOptions>] {
        &mut self.groups
    }

    fn step(&mut self) -> Result<()> {
        let _no_grad = GradModeGuard::new(false);
        for group in &self.groups {
            let (params, grads) = with_grads(group);
            let h = group.options.hyper();
            let states: Vec<RmspropState> = params
                .iter()
                .map(|p| {
                    self.state
                        .entry(p.id())
                        .or_insert_with(|| {
                            let zeros = || Tensor::zeros(&p.shape(), p.dtype());
                            RmspropState {
                                step: new_step(),
                                square_avg: zeros(),
                                momentum_buffer: (h.momentum > 0.0).then(zeros),
                                grad_avg: h.centered.then(zeros),
                            }
                        })
                        .clone()
                })
                .collect();
            let pick = |f: fn(&RmspropState) -> Option<&Tensor>| -> Result<Vec<Tensor>> {
                states.iter().map(|s| f(s).cloned().ok_or_else(|| Error::runtime("missing optimizer state"))).collect()
            };
            let grad_avgs = if h.centered { pick(|s| s.grad_avg.as_ref())? } else { vec![] };
            let bufs = if h.momentum > 0.0 { pick(|s| s.momentum_buffer.as_ref())? } else { vec![] };
            rmsprop_step(&params, &grads, &pick(|s| Some(&s.square_avg))?, &grad_avgs, &bufs, &pick(|s| Some(&s.step))?, &h)?;
        }
        Ok(())
    }
}
