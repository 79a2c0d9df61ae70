//! Bindings of the fused optimizer steps: one call per param group per step, with the GIL
//! released while the kernels run (`rustgrad.optim.*` builds the lists from its state).

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::optim::functional;
use crate::optim::kernels::{AdagradHyper, AdamHyper, RmspropHyper, SgdHyper};
use crate::tensor::Tensor;

fn core(list: &[Bound<'_, PyTensor>]) -> Vec<Tensor> {
    list.iter().map(|t| t.get().inner.clone()).collect()
}

/// Runs `step` on the core tensors of `lists` (the parameters first), with the GIL released when
/// the parameters are large enough for it to pay.
fn run_step<R: Send, const N: usize>(
    py: Python<'_>,
    lists: [&[Bound<'_, PyTensor>]; N],
    step: impl FnOnce([Vec<Tensor>; N]) -> crate::error::Result<R> + Send,
) -> PyResult<R> {
    let lists = lists.map(core);
    let numel = lists[0].iter().map(Tensor::numel).sum();
    Ok(maybe_detach(py, numel, move || step(lists))?)
}

/// `torch.optim.SGD`'s update of one group. Returns the momentum buffers (new ones for `None`
/// entries), or `None` without momentum.
#[pyfunction]
#[pyo3(signature = (params, grads, momentum_buffer_list, *, lr, momentum, dampening, weight_decay, nesterov, maximize))]
#[allow(clippy::too_many_arguments)]
fn _sgd_step<'py>(
    py: Python<'py>,
    params: Vec<Bound<'py, PyTensor>>,
    grads: Vec<Bound<'py, PyTensor>>,
    momentum_buffer_list: Vec<Option<Bound<'py, PyTensor>>>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    let mut bufs: Vec<Option<Tensor>> = momentum_buffer_list.iter().map(|b| b.as_ref().map(|b| b.get().inner.clone())).collect();
    let h = SgdHyper { lr, momentum, dampening, weight_decay, nesterov, maximize };
    let bufs = run_step(py, [&params, &grads], move |[params, grads]| functional::sgd_step(&params, &grads, &mut bufs, &h).map(|_| bufs))?;
    if momentum == 0.0 {
        return Ok(None);
    }
    bufs.into_iter().map(|b| wrap_tensor(py, b.expect("filled by sgd_step"))).collect::<PyResult<_>>().map(Some)
}

/// `torch.optim.Adam` / `AdamW`'s update of one group (`max_exp_avg_sqs` used with amsgrad).
#[pyfunction]
#[pyo3(signature = (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay))]
#[allow(clippy::too_many_arguments)]
fn _adam_step<'py>(
    py: Python<'py>,
    params: Vec<Bound<'py, PyTensor>>,
    grads: Vec<Bound<'py, PyTensor>>,
    exp_avgs: Vec<Bound<'py, PyTensor>>,
    exp_avg_sqs: Vec<Bound<'py, PyTensor>>,
    max_exp_avg_sqs: Vec<Bound<'py, PyTensor>>,
    state_steps: Vec<Bound<'py, PyTensor>>,
    amsgrad: bool,
    beta1: f64,
    beta2: f64,
    lr: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> PyResult<()> {
    let h = AdamHyper { lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay };
    run_step(py, [&params, &grads, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs, &state_steps], move |[p, g, m, v, vmax, steps]| {
        functional::adam_step(&p, &g, &m, &v, &vmax, &steps, &h)
    })
}

/// `torch.optim.RMSprop`'s update of one group (`grad_avgs` used when centered,
/// `momentum_buffer_list` when `momentum > 0`).
#[pyfunction]
#[pyo3(signature = (params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha, eps, weight_decay, momentum, centered, maximize))]
#[allow(clippy::too_many_arguments)]
fn _rmsprop_step<'py>(
    py: Python<'py>,
    params: Vec<Bound<'py, PyTensor>>,
    grads: Vec<Bound<'py, PyTensor>>,
    square_avgs: Vec<Bound<'py, PyTensor>>,
    grad_avgs: Vec<Bound<'py, PyTensor>>,
    momentum_buffer_list: Vec<Bound<'py, PyTensor>>,
    state_steps: Vec<Bound<'py, PyTensor>>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> PyResult<()> {
    let h = RmspropHyper { lr, alpha, eps, weight_decay, momentum, centered, maximize };
    run_step(py, [&params, &grads, &square_avgs, &grad_avgs, &momentum_buffer_list, &state_steps], move |[p, g, sq, ga, bufs, steps]| {
        functional::rmsprop_step(&p, &g, &sq, &ga, &bufs, &steps, &h)
    })
}

/// `torch.optim.Adagrad`'s update of one group.
#[pyfunction]
#[pyo3(signature = (params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize))]
#[allow(clippy::too_many_arguments)]
fn _adagrad_step<'py>(
    py: Python<'py>,
    params: Vec<Bound<'py, PyTensor>>,
    grads: Vec<Bound<'py, PyTensor>>,
    state_sums: Vec<Bound<'py, PyTensor>>,
    state_steps: Vec<Bound<'py, PyTensor>>,
    lr: f64,
    weight_decay: f64,
    lr_decay: f64,
    eps: f64,
    maximize: bool,
) -> PyResult<()> {
    let h = AdagradHyper { lr, lr_decay, weight_decay, eps, maximize };
    run_step(py, [&params, &grads, &state_sums, &state_steps], move |[p, g, sums, steps]| functional::adagrad_step(&p, &g, &sums, &steps, &h))
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_sgd_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adam_step, m)?)?;
    m.add_function(wrap_pyfunction!(_rmsprop_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adagrad_step, m)?)?;
    Ok(())
}
