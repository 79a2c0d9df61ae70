//! `torch.optim.Adagrad` for Rust programs.

use std::collections::HashMap;

use super::functional::{adagrad_step, new_step};
use super::kernels::AdagradHyper;
use super::{check_groups, non_negative, with_grads, Optimizer, ParamGroup};
use crate::autograd::GradModeGuard;
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
    fn validate(&self) -> Result<()> {
        non_negative(self.lr, "Invalid learning rate")?;
        non_negative(self.lr_decay, "Invalid lr_decay value")?;
        non_negative(self.weight_decay, "Invalid weight_decay value")?;
        non_negative(self.initial_accumulator_value, "Invalid initial_accumulator_value value")?;
        non_negative(self.eps, "Invalid epsilon value")
    }

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

/// Adagrad.
pub struct Adagrad {
    groups: Vec<ParamGroup<AdagradOptions>>,
    state: HashMap<usize, AdagradState>,
}

fn fresh_state(p: &Tensor, initial: f64) -> AdagradState {
    AdagradState { step: new_step(), sum: Tensor::full(&p.shape(), initial, p.dtype()) }
}

impl Adagrad {
    /// One group of `params`.
    pub fn new(params: Vec<Tensor>, options: AdagradOptions) -> Result<Adagrad> {
        Self::with_groups(vec![ParamGroup { params, options }])
    }

    /// Several groups, each with its own options.
    pub fn with_groups(groups: Vec<ParamGroup<AdagradOptions>>) -> Result<Adagrad> {
        for g in &groups {
            g.options.validate()?;
        }
        check_groups(&groups)?;
        let mut state = HashMap::new();
        for g in &groups {
            for p in &g.params {
                state.insert(p.id(), fresh_state(p, g.options.initial_accumulator_value));
            }
        }
        Ok(Adagrad { groups, state })
    }

    /// The state of `p`.
    pub fn state(&self, p: &Tensor) -> Option<&AdagradState> {
        self.state.get(&p.id())
    }
}

impl Optimizer for Adagrad {
    type Options = AdagradOptions;

    fn param_groups(&self) -> &[ParamGroup<AdagradOptions>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<AdagradOptions>] {
        &mut self.groups
    }

    fn step(&mut self) -> Result<()> {
        let _no_grad = GradModeGuard::new(false);
        for group in &self.groups {
            let (params, grads) = with_grads(group);
            let states: Vec<AdagradState> = params
                .iter()
                .map(|p| self.state.entry(p.id()).or_insert_with(|| fresh_state(p, group.options.initial_accumulator_value)).clone())
                .collect();
            let sums: Vec<Tensor> = states.iter().map(|s| s.sum.clone()).collect();
            let steps: Vec<Tensor> = states.iter().map(|s| s.step.clone()).collect();
            adagrad_step(&params, &grads, &sums, &steps, &group.options.hyper())?;
        }
        Ok(())
    }
}
