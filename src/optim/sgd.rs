//! `torch.optim.SGD` for Rust programs.

use std::collections::HashMap;

use super::functional::sgd_step;
use super::kernels::SgdHyper;
use super::{check_groups, non_negative, with_grads, Optimizer, ParamGroup};
use crate::autograd::GradModeGuard;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// SGD hyperparameters (PyTorch's defaults: `lr=1e-3`, everything else off).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdOptions {
    /// learning rate
    pub lr: f64,
    /// momentum factor
    pub momentum: f64,
    /// dampening for momentum
    pub dampening: f64,
    /// weight decay (L2 penalty)
    pub weight_decay: f64,
    /// Nesterov momentum (needs momentum and zero dampening)
    pub nesterov: bool,
    /// maximize the objective instead of minimizing it
    pub maximize: bool,
}

impl Default for SgdOptions {
    fn default() -> Self {
        SgdOptions { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

impl SgdOptions {
    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.momentum, "Invalid momentum value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::value("Nesterov momentum requires a momentum and zero dampening"));
        }
        Ok(())
    }

    fn hyper(&self) -> SgdHyper {
        SgdHyper {
            lr: self.lr,
            momentum: self.momentum,
            dampening: self.dampening,
            weight_decay: self.weight_decay,
            nesterov: self.nesterov,
            maximize: self.maximize,
        }
    }
}

/// Stochastic gradient descent, optionally with momentum. State: a `momentum_buffer` per
/// parameter once it has been stepped with momentum; none without momentum.
pub struct Sgd {
    groups: Vec<ParamGroup<SgdOptions>>,
    buffers: HashMap<usize, Tensor>,
}

impl Sgd {
    /// One group of `params`.
    pub fn new(params: Vec<Tensor>, options: SgdOptions) -> Result<Sgd> {
        Self::with_groups(vec![ParamGroup { params, options }])
    }

    /// Several groups, each with its own options.
    pub fn with_groups(groups: Vec<ParamGroup<SgdOptions>>) -> Result<Sgd> {
        for g in &groups {
            g.options.validate()?;
        }
        check_groups(&groups)?;
        Ok(Sgd { groups, buffers: HashMap::new() })
    }

    /// The momentum buffer of `p` (`state[p]['momentum_buffer']`).
    pub fn momentum_buffer(&self, p: &Tensor) -> Option<&Tensor> {
        self.buffers.get(&p.id())
    }
}

impl Optimizer for Sgd {
    type Options = SgdOptions;

    fn param_groups(&self) -> &[ParamGroup<SgdOptions>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<SgdOptions>] {
        &mut self.groups
    }

    fn step(&mut self) -> Result<()> {
        let _no_grad = GradModeGuard::new(false);
        for group in &self.groups {
            let (params, grads) = with_grads(group);
            let h = group.options.hyper();
            if h.momentum == 0.0 {
                sgd_step(&params, &grads, &mut [], &h)?;
                continue;
            }
            let mut bufs: Vec<Option<Tensor>> = params.iter().map(|p| self.buffers.get(&p.id()).cloned()).collect();
            sgd_step(&params, &grads, &mut bufs, &h)?;
            for (p, b) in params.iter().zip(bufs) {
                self.buffers.insert(p.id(), b.expect("sgd_step fills every buffer"));
            }
        }
        Ok(())
    }
}
