//! Optimizers: PyTorch's `torch.optim` update rules as fused Rust kernels, and a Rust API to train
//! without Python.
//!
//! - [`kernels`]: one pass over a parameter, its gradient and its state (rayon above the grain);
//! - [`functional`]: one step over a param group's tensors, in place, with version bumps (what the
//!   Python optimizers call once per group);
//! - [`Sgd`], [`Adam`] (and AdamW), [`Rmsprop`], [`Adagrad`]: optimizers owning their param groups
//!   and state, laid out as PyTorch lays it out (`step` a 0-d float32 tensor, `exp_avg`, ...).
//!
//! ```no_run
//! use rustgrad::optim::{Optimizer, Sgd, SgdOptions};
//! # let w = rustgrad::Tensor::zeros(&[1], rustgrad::DType::F32);
//! let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() }).unwrap();
//! // loss.backward ...; then
//! opt.step().unwrap();
//! opt.zero_grad().unwrap();
//! ```

pub mod functional;
pub mod kernels;
mod lanes;

mod adagrad;
mod adam;
mod rmsprop;
mod sgd;

pub use adagrad::{Adagrad, AdagradOptions, AdagradState};
pub use adam::{Adam, AdamOptions, AdamState, AdamW};
pub use rmsprop::{Rmsprop, RmspropOptions, RmspropState};
pub use sgd::{Sgd, SgdOptions};

use std::collections::{HashMap, HashSet};

use crate::autograd::GradModeGuard;

use crate::error::{Error, Result};
use crate::ops;
use crate::tensor::{Scalar, Tensor};

/// A list of parameters optimized with the same options (`optimizer.param_groups[i]`).
#[derive(Clone, Debug)]
pub struct ParamGroup<O> {
    /// The parameters (leaf tensors).
    pub params: Vec<Tensor>,
    /// Their hyperparameters; change `lr` here to schedule the learning rate.
    pub options: O,
}

/// What every optimizer offers.
pub trait Optimizer {
    /// The hyperparameters of one group.
    type Options;

    /// The param groups.
    fn param_groups(&self) -> &[ParamGroup<Self::Options>];

    /// The param groups, to change hyperparameters between steps.
    fn param_groups_mut(&mut self) -> &mut [ParamGroup<Self::Options>];

    /// One update of every parameter that has a gradient (others are skipped and get no state),
    /// with grad mode off.
    fn step(&mut self) -> Result<()>;

    /// Sets every parameter's `.grad` to `None` (PyTorch's default `set_to_none=True`).
    fn zero_grad(&mut self) -> Result<()> {
        self.zero_grad_with(true)
    }

    /// `zero_grad(set_to_none)`: `false` zeroes the gradients in place instead.
    fn zero_grad_with(&mut self, set_to_none: bool) -> Result<()> {
        for group in self.param_groups() {
            for p in &group.params {
                zero_grad(p, set_to_none)?;
            }
        }
        Ok(())
    }
}

/// One optimizer's update rule, implemented by its options type: what [`Grouped`] needs to run it.
pub trait UpdateRule {
    /// The state kept per parameter (`optimizer.state[p]`).
    type State: Clone;

    /// PyTorch's constructor checks of the hyperparameters, with its messages.
    fn validate(&self) -> Result<()>;

    /// State made when the optimizer is built (Adagrad's); `None` (the default) makes it lazily.
    fn eager_state(&self, _p: &Tensor) -> Option<Self::State> {
        None
    }

    /// One fused step of a group's parameters that have a gradient. `states[i]` is the state of
    /// `params[i]` (`None` before its first step); the rule fills in the states it keeps.
    fn step_group(&self, params: &[Tensor], grads: &[Tensor], states: &mut [Option<Self::State>]) -> Result<()>;
}

/// An optimizer: param groups with options `O` and the per-parameter state of `O`'s rule.
/// [`Sgd`], [`Adam`], [`Rmsprop`] and [`Adagrad`] are this type with their options.
pub struct Grouped<O: UpdateRule> {
    groups: Vec<ParamGroup<O>>,
    state: HashMap<usize, O::State>,
}

impl<O: UpdateRule> Grouped<O> {
    /// One group of `params`.
    pub fn new(params: Vec<Tensor>, options: O) -> Result<Self> {
        Self::with_groups(vec![ParamGroup { params, options }])
    }

    /// Several groups, each with its own options.
    pub fn with_groups(groups: Vec<ParamGroup<O>>) -> Result<Self> {
        for g in &groups {
            g.options.validate()?;
        }
        check_groups(&groups)?;
        let mut state = HashMap::new();
        for g in &groups {
            for p in &g.params {
                if let Some(s) = g.options.eager_state(p) {
                    state.insert(p.id(), s);
                }
            }
        }
        Ok(Grouped { groups, state })
    }

    /// The state of `p`, once it has one.
    pub fn state(&self, p: &Tensor) -> Option<&O::State> {
        self.state.get(&p.id())
    }
}

impl<O: UpdateRule> Optimizer for Grouped<O> {
    type Options = O;

    fn param_groups(&self) -> &[ParamGroup<O>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<O>] {
        &mut self.groups
    }

    fn step(&mut self) -> Result<()> {
        let _no_grad = GradModeGuard::new(false);
        for group in &self.groups {
            let (params, grads) = with_grads(group);
            let mut states: Vec<Option<O::State>> = params.iter().map(|p| self.state.get(&p.id()).cloned()).collect();
            // States made by the rule are kept even if its step fails, as PyTorch keeps them.
            let stepped = group.options.step_group(&params, &grads, &mut states);
            for (p, s) in params.iter().zip(states) {
                if let Some(s) = s {
                    self.state.insert(p.id(), s);
                }
            }
            stepped?;
        }
        Ok(())
    }
}

/// The states of a group, each made by `init` when missing (a lazily initialised optimizer's
/// first step), then read back as owned copies for the kernels.
pub(crate) fn init_states<S: Clone>(params: &[Tensor], states: &mut [Option<S>], init: impl Fn(&Tensor) -> S) -> Vec<S> {
    params.iter().zip(states.iter_mut()).map(|(p, s)| s.get_or_insert_with(|| init(p)).clone()).collect()
}

/// The tensors `f` picks from each state (`Error` when a state lacks one: options changed since
/// the state was made, as PyTorch's `KeyError`).
pub(crate) fn pick<S>(states: &[S], f: impl Fn(&S) -> Option<&Tensor>) -> Result<Vec<Tensor>> {
    states.iter().map(|s| f(s).cloned().ok_or_else(|| Error::runtime("missing optimizer state"))).collect()
}

/// `p.grad = None`, or PyTorch's in-place zeroing (detaching a gradient that has history).
pub fn zero_grad(p: &Tensor, set_to_none: bool) -> Result<()> {
    let Some(grad) = p.grad() else { return Ok(()) };
    if set_to_none {
        return p.set_grad(None);
    }
    if grad.stored_grad_fn().is_some() {
        grad.detach_()?;
    } else {
        grad.set_requires_grad(false)?;
    }
    ops::fill_(&grad, Scalar::Float(0.0), "ZeroBackward0")
}

/// The checks `Optimizer.__init__` / `add_param_group` make, with PyTorch's messages.
pub(crate) fn check_groups<O>(groups: &[ParamGroup<O>]) -> Result<()> {
    if groups.iter().all(|g| g.params.is_empty()) {
        return Err(Error::value("optimizer got an empty parameter list"));
    }
    let mut seen = HashSet::new();
    for group in groups {
        let mut in_group = HashSet::new();
        for p in &group.params {
            if !(p.is_leaf()? || p.retains_grad()) {
                return Err(Error::value("can't optimize a non-leaf Tensor"));
            }
            in_group.insert(p.id());
        }
        // Duplicates inside one group only warn in PyTorch (and are updated once per entry).
        if in_group.iter().any(|id| seen.contains(id)) {
            return Err(Error::value("some parameters appear in more than one parameter group"));
        }
        seen.extend(in_group);
    }
    Ok(())
}

/// The parameters of `group` that have a gradient, with those gradients.
pub(crate) fn with_grads<O>(group: &ParamGroup<O>) -> (Vec<Tensor>, Vec<Tensor>) {
    group.params.iter().filter_map(|p| p.grad().map(|g| (p.clone(), g))).unzip()
}

/// PyTorch's `Invalid <what> value: <v>` check for a hyperparameter that must be >= 0.
pub(crate) fn non_negative(value: f64, message: &str) -> Result<()> {
    if value.is_nan() || value < 0.0 {
        return Err(Error::value(format!("{message}: {value}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
