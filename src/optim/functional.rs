//! One optimizer step over a param group's tensors (what `torch.optim.<name>` calls per group):
//! validate every tensor first, so a bad group fails before anything is written; then, parameter
//! by parameter, run the fused kernel on the storages in place and bump the version counters of
//! everything written, as `p.add_(...)` under `no_grad` would.

use std::sync::Arc;

use super::kernels::{self, AdagradHyper, AdamHyper, Real, RmspropHyper, SgdHyper};
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, shape_str, DType, Element, Storage, Tensor, TensorData};
use crate::with_float_dtype;

/// Checks that `t` (the optimizer's `what` of parameter `p`) has the parameter's shape and dtype.
fn check_like(t: &Tensor, p: &Tensor, what: &str) -> Result<()> {
    let (ts, ps) = (t.shape(), p.shape());
    if ts != ps {
        // PyTorch fails at the first in-place op whose output does not cover the broadcast shape:
        // the state's own update if the state is smaller, else the parameter's.
        let broadcast = broadcast_shapes(&ts, &ps)?;
        let output = if broadcast != ts { &ts } else { &ps };
        return Err(Error::runtime(format!(
            "output with shape {} doesn't match the broadcast shape {}",
            shape_str(output),
            shape_str(&broadcast)
        )));
    }
    if t.dtype() != p.dtype() {
        return Err(Error::runtime(format!(
            "expected dtype {} for `{what}` but got dtype {}",
            p.dtype().scalar_type_name(),
            t.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

fn check_param(p: &Tensor) -> Result<()> {
    if !p.dtype().is_float() {
        return Err(Error::runtime(format!(
            "optimizers only update floating point parameters, got dtype {}",
            p.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

fn check_step(step: &Tensor) -> Result<()> {
    if step.numel() != 1 || !step.dtype().is_float() {
        return Err(Error::runtime(format!(
            "expected a one-element floating point step count, got shape {} and dtype {}",
            shape_str(&step.shape()),
            step.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

fn check_lengths(what: &[(&str, usize)], n: usize) -> Result<()> {
    for (name, len) in what {
        if *len != n {
            return Err(Error::runtime(format!("expected {n} {name} (one per parameter), got {len}")));
        }
    }
    Ok(())
}

/// `step_t += 1` on a one-element step tensor; returns the new count (`step_t.item()`).
fn increment(step: &Tensor) -> f64 {
    let data = step.data();
    let value = {
        let mut buffer = data.storage.write();
        with_float_dtype!(data.dtype, T => {
            let slot = &mut T::slice_mut(&mut buffer)[data.layout.offset];
            *slot += T::one();
            slot.to_f64()
        })
    };
    step.version_counter().bump();
    value
}

/// True when the data covers its storage's elements contiguously from `offset`.
fn is_plain(d: &TensorData) -> bool {
    d.layout.is_contiguous()
}

/// Runs `kernel(param, grad, states)` on the elements of `p`, `g` and `states` in place: straight
/// on the locked storages when they are contiguous and distinct (the common case), else on
/// gathered copies that are written back. Bumps the version of `p` and of every state tensor.
fn update<T: Real>(p: &Tensor, g: &Tensor, states: &[&Tensor], kernel: impl FnOnce(&mut [T], &[T], Vec<&mut [T]>)) {
    let (pd, gd) = (p.data(), g.data());
    let sds: Vec<TensorData> = states.iter().map(|s| s.data()).collect();
    let n = pd.layout.numel();
    let writers: Vec<&Arc<Storage>> = std::iter::once(&pd.storage).chain(sds.iter().map(|d| &d.storage)).collect();
    let distinct = writers.iter().enumerate().all(|(i, a)| {
        !Arc::ptr_eq(a, &gd.storage) && writers[..i].iter().all(|b| !Arc::ptr_eq(a, b))
    });
    if distinct && is_plain(&pd) && is_plain(&gd) && sds.iter().all(is_plain) {
        let mut pg = pd.storage.write();
        let mut sgs: Vec<_> = sds.iter().map(|d| d.storage.write()).collect();
        let gg = gd.storage.read();
        let ps = &mut T::slice_mut(&mut pg)[pd.layout.offset..pd.layout.offset + n];
        let gs = &T::slice(&gg)[gd.layout.offset..gd.layout.offset + n];
        let ss: Vec<&mut [T]> = sgs
            .iter_mut()
            .zip(&sds)
            .map(|(guard, d)| &mut T::slice_mut(guard)[d.layout.offset..d.layout.offset + n])
            .collect();
        kernel(ps, gs, ss);
    } else {
        let gather = |d: &TensorData| d.layout.gather(T::slice(&d.storage.read()));
        let (mut pv, gv) = (gather(&pd), gather(&gd));
        let mut svs: Vec<Vec<T>> = sds.iter().map(gather).collect();
        kernel(&mut pv, &gv, svs.iter_mut().map(|v| &mut v[..]).collect());
        for (d, values) in std::iter::once((&pd, &pv)).chain(sds.iter().zip(&svs)) {
            scatter_into(T::slice_mut(&mut d.storage.write()), &d.layout, values);
        }
    }
    p.version_counter().bump();
    for s in states {
        s.version_counter().bump();
    }
}

/// `torch.optim.SGD`'s step over one group. `momentum_buffers` has one entry per parameter when
/// `momentum != 0` (else it may be empty); a `None` entry gets a new buffer holding the
/// gradient, as PyTorch's first step clones it.
pub fn sgd_step(params: &[Tensor], grads: &[Tensor], momentum_buffers: &mut [Option<Tensor>], h: &SgdHyper) -> Result<()> {
    let n = params.len();
    let with_momentum = h.momentum != 0.0;
    check_lengths(&[("grads", grads.len())], n)?;
    if with_momentum {
        check_lengths(&[("momentum buffers", momentum_buffers.len())], n)?;
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        check_param(p)?;
        check_like(g, p, "grad")?;
        if let Some(Some(b)) = momentum_buffers.get(i).filter(|_| with_momentum) {
            check_like(b, p, "momentum_buffer")?;
        }
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        if !with_momentum {
            with_float_dtype!(p.dtype(), T => update::<T>(p, g, &[], |p, g, _| kernels::sgd(p, g, None, false, h)));
            continue;
        }
        let slot = &mut momentum_buffers[i];
        let init = slot.is_none();
        let buf = slot.get_or_insert_with(|| Tensor::zeros(&p.shape(), p.dtype())).clone();
        with_float_dtype!(p.dtype(), T => update::<T>(p, g, &[&buf], |p, g, mut s| {
            kernels::sgd(p, g, Some(&mut *s[0]), init, h)
        }));
    }
    Ok(())
}

/// `torch.optim.Adam` / `AdamW`'s step over one group; `max_exp_avg_sqs` is used (one per
/// parameter) only with amsgrad.
pub fn adam_step(
    params: &[Tensor],
    grads: &[Tensor],
    exp_avgs: &[Tensor],
    exp_avg_sqs: &[Tensor],
    max_exp_avg_sqs: &[Tensor],
    steps: &[Tensor],
    h: &AdamHyper,
) -> Result<()> {
    let n = params.len();
    check_lengths(&[("grads", grads.len()), ("exp_avgs", exp_avgs.len()), ("exp_avg_sqs", exp_avg_sqs.len()), ("state_steps", steps.len())], n)?;
    if h.amsgrad {
        check_lengths(&[("max_exp_avg_sqs", max_exp_avg_sqs.len())], n)?;
    }
    for i in 0..n {
        let p = &params[i];
        check_param(p)?;
        check_like(&grads[i], p, "grad")?;
        check_like(&exp_avgs[i], p, "exp_avg")?;
        check_like(&exp_avg_sqs[i], p, "exp_avg_sq")?;
        if h.amsgrad {
            check_like(&max_exp_avg_sqs[i], p, "max_exp_avg_sq")?;
        }
        check_step(&steps[i])?;
    }
    for i in 0..n {
        let step = increment(&steps[i]);
        let mut states = vec![&exp_avgs[i], &exp_avg_sqs[i]];
        if h.amsgrad {
            states.push(&max_exp_avg_sqs[i]);
        }
        with_float_dtype!(params[i].dtype(), T => update::<T>(&params[i], &grads[i], &states, |p, g, s| {
            let mut s = s.into_iter();
            let (m, v, vmax) = (s.next().unwrap(), s.next().unwrap(), s.next());
            kernels::adam(p, g, m, v, vmax, step, h)
        }));
    }
    Ok(())
}

/// `torch.optim.RMSprop`'s step over one group; `grad_avgs` is used only when centered and
/// `momentum_buffers` only when `momentum > 0` (one per parameter then).
pub fn rmsprop_step(
    params: &[Tensor],
    grads: &[Tensor],
    square_avgs: &[Tensor],
    grad_avgs: &[Tensor],
    momentum_buffers: &[Tensor],
    steps: &[Tensor],
    h: &RmspropHyper,
) -> Result<()> {
    let n = params.len();
    let with_momentum = h.momentum > 0.0;
    check_lengths(&[("grads", grads.len()), ("square_avgs", square_avgs.len()), ("state_steps", steps.len())], n)?;
    if h.centered {
        check_lengths(&[("grad_avgs", grad_avgs.len())], n)?;
    }
    if with_momentum {
        check_lengths(&[("momentum buffers", momentum_buffers.len())], n)?;
    }
    for i in 0..n {
        let p = &params[i];
        check_param(p)?;
        check_like(&grads[i], p, "grad")?;
        check_like(&square_avgs[i], p, "square_avg")?;
        if h.centered {
            check_like(&grad_avgs[i], p, "grad_avg")?;
        }
        if with_momentum {
            check_like(&momentum_buffers[i], p, "momentum_buffer")?;
        }
        check_step(&steps[i])?;
    }
    for i in 0..n {
        increment(&steps[i]);
        let mut states = vec![&square_avgs[i]];
        if h.centered {
            states.push(&grad_avgs[i]);
        }
        if with_momentum {
            states.push(&momentum_buffers[i]);
        }
        let centered = h.centered;
        with_float_dtype!(params[i].dtype(), T => update::<T>(&params[i], &grads[i], &states, |p, g, s| {
            let mut s = s.into_iter();
            let sq = s.next().unwrap();
            let ga = if centered { s.next() } else { None };
            let buf = s.next();
            kernels::rmsprop(p, g, sq, ga, buf, h)
        }));
    }
    Ok(())
}

/// `torch.optim.Adagrad`'s step over one group.
pub fn adagrad_step(params: &[Tensor], grads: &[Tensor], sums: &[Tensor], steps: &[Tensor], h: &AdagradHyper) -> Result<()> {
    let n = params.len();
    check_lengths(&[("grads", grads.len()), ("state_sums", sums.len()), ("state_steps", steps.len())], n)?;
    for i in 0..n {
        let p = &params[i];
        check_param(p)?;
        check_like(&grads[i], p, "grad")?;
        check_like(&sums[i], p, "sum")?;
        check_step(&steps[i])?;
    }
    for i in 0..n {
        let step = increment(&steps[i]);
        with_float_dtype!(params[i].dtype(), T => update::<T>(&params[i], &grads[i], &[&sums[i]], |p, g, mut s| {
            kernels::adagrad(p, g, &mut *s[0], step, h)
        }));
    }
    Ok(())
}

/// A fresh zero-d float32 step count (`torch.tensor(0.0)`), the state layout PyTorch uses.
pub fn new_step() -> Tensor {
    Tensor::scalar(0.0, DType::F32)
}
