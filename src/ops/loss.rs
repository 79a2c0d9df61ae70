//! Loss functions as single autograd nodes with PyTorch's names and saved sets: nll_loss (fused
//! kernel), mse, binary cross entropy (plain and with logits), huber and smooth L1. The pointwise
//! losses compute their forward with tensor ops (not recorded) and write their backward formulas
//! with recorded ops, so `create_graph=True` differentiates them again.

use super::backward::{backward_fn, input as save_input};
use super::binary::mul_scalar;
use super::compare::{compare, where_, Cmp};
use super::{dense, needs, record};
use crate::autograd::{GradModeGuard, SavedTensor};
use crate::cpu::norm as kernels;
use crate::error::{Error, Result};
use crate::ops::{abs, clamp, exp, log, log1p, mean, mul, neg, reshape, rsub_scalar, sigmoid, sub, sum};
use crate::tensor::{DType, Element, Scalar, Tensor};
use crate::with_float_dtype;

/// How a loss reduces its per-element values (PyTorch's `reduction=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// `'none'`
    None,
    /// `'mean'`
    Mean,
    /// `'sum'`
    Sum,
}

impl Reduction {
    /// PyTorch's enum value, as its loss nodes show `_saved_reduction` (none 0, mean 1, sum 2).
    fn code(self) -> i64 {
        match self {
            Reduction::None => 0,
            Reduction::Mean => 1,
            Reduction::Sum => 2,
        }
    }

    /// Parses `'none' | 'mean' | 'sum'` with PyTorch's ValueError.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Reduction::None),
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            other => Err(Error::value(format!("{other} is not a valid value for reduction"))),
        }
    }

    fn apply(self, t: Tensor) -> Result<Tensor> {
        match self {
            Reduction::None => Ok(t),
            Reduction::Mean => mean(&t),
            Reduction::Sum => sum(&t),
        }
    }

    /// The gradient reaching each element: `grad` itself for 'none', else the scalar grad scaled
    /// by 1/n for 'mean' (broadcast by the product with the derivative).
    fn spread(self, grad: &Tensor, n: usize) -> Result<Tensor> {
        match self {
            Reduction::Mean => mul_scalar(grad, 1.0 / n as f64),
            _ => Ok(grad.clone()),
        }
    }
}

fn scalar(v: f64) -> Tensor {
    Scalar::Float(v).to_tensor()
}

/// `log(sigmoid(z))` computed stably: `min(z, 0) - log1p(exp(-|z|))`.
fn log_sigmoid(z: &Tensor) -> Result<Tensor> {
    sub(&clamp(z, None, Some(Scalar::Float(0.0)))?, &log1p(&exp(&neg(&abs(z)?)?)?)?)
}

/// Per-element derivatives of a pointwise loss with respect to (input, target), given the saved
/// (input, target) and which of them are needed.
type Derivatives = Box<dyn Fn(&Tensor, &Tensor, [bool; 2]) -> Result<[Option<Tensor>; 2]> + Send + Sync>;

/// A pointwise loss of (input, target): `loss` gives the per-element values (run without
/// recording), `derivs` the per-element derivatives used by the node `name`, which saves both.
fn pointwise_loss(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    loss: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
    derivs: Derivatives,
) -> Result<Tensor> {
    let (out, n) = {
        let _guard = GradModeGuard::new(false);
        let elementwise = loss(input, target)?;
        let n = elementwise.numel();
        (reduction.apply(elementwise)?, n)
    };
    record(&[input, target], &[&out], || {
        let saved = vec![save_input("self", input), save_input("target", target)];
        { let saved_values = super::backward::vals![("reduction", reduction.code())]; backward_fn(name, saved, move |node, s, g| {
            let (x, y) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let want = [needs(node, 0), needs(node, 1)];
            let grad = reduction.spread(&g[0], n)?;
            let [dx, dy] = derivs(x, y, want)?;
            let scale = |d: Option<Tensor>, w: bool| -> Result<Option<Tensor>> {
                match d {
                    Some(d) if w => Ok(Some(mul(&d, &grad)?)),
                    _ => Ok(None),
                }
            };
            Ok(vec![scale(dx, want[0])?, scale(dy, want[1])?])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `F.mse_loss`: mean/sum of `(x - y)^2`.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    pointwise_loss(
        "MseLossBackward0",
        input,
        target,
        reduction,
        |x, y| {
            let d = sub(x, y)?;
            mul(&d, &d)
        },
        // d (x-y)^2 = 2(x-y), -2(x-y)
        Box::new(|x, y, want| {
            let d = mul_scalar(&sub(x, y)?, 2.0)?;
            let dy = if want[1] { Some(neg(&d)?) } else { None };
            Ok([Some(d), dy])
        }),
    )
}

/// `F.huber_loss`: `0.5 z^2` where `|z| < delta`, else `delta (|z| - delta/2)`, for `z = x - y`.
pub fn huber_loss(input: &Tensor, target: &Tensor, reduction: Reduction, delta: f64) -> Result<Tensor> {
    if delta <= 0.0 {
        return Err(Error::runtime("huber_loss does not support non-positive values for delta."));
    }
    pointwise_loss(
        "HuberLossBackward0",
        input,
        target,
        reduction,
        move |x, y| {
            let z = sub(x, y)?;
            let a = abs(&z)?;
            let quadratic = mul_scalar(&mul(&z, &z)?, 0.5)?;
            let linear = mul_scalar(&sub(&a, &scalar(0.5 * delta))?, delta)?;
            where_(&compare(Cmp::Lt, &a, &scalar(delta))?, &quadratic, &linear)
        },
        // d huber = clamp(z, -delta, delta), and its negation for the target
        Box::new(move |x, y, want| {
            let d = clamp(&sub(x, y)?, Some(Scalar::Float(-delta)), Some(Scalar::Float(delta)))?;
            let dy = if want[1] { Some(neg(&d)?) } else { None };
            Ok([Some(d), dy])
        }),
    )
}

/// `F.smooth_l1_loss` (beta > 0): `0.5 z^2 / beta` where `|z| < beta`, else `|z| - beta/2`.
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction, beta: f64) -> Result<Tensor> {
    if beta < 0.0 {
        return Err(Error::runtime("smooth_l1_loss does not support negative values for beta."));
    }
    pointwise_loss(
        "SmoothL1LossBackward0",
        input,
        target,
        reduction,
        move |x, y| {
            let z = sub(x, y)?;
            let a = abs(&z)?;
            let quadratic = mul_scalar(&mul(&z, &z)?, 0.5 / beta)?;
            let linear = sub(&a, &scalar(0.5 * beta))?;
            where_(&compare(Cmp::Lt, &a, &scalar(beta))?, &quadratic, &linear)
        },
        // d smooth_l1 = clamp(z / beta, -1, 1), and its negation for the target
        Box::new(move |x, y, want| {
            let d = clamp(&mul_scalar(&sub(x, y)?, 1.0 / beta)?, Some(Scalar::Float(-1.0)), Some(Scalar::Float(1.0)))?;
            let dy = if want[1] { Some(neg(&d)?) } else { None };
            Ok([Some(d), dy])
        }),
    )
}

fn weighted(t: Tensor, weight: &Option<Tensor>) -> Result<Tensor> {
    match weight {
        Some(w) => mul(&t, w),
        None => Ok(t),
    }
}

/// True when every element lies in [0, 1] (NaN counts as outside, as PyTorch's check).
fn within_unit(t: &Tensor) -> bool {
    t.to_f64_vec().iter().all(|v| (0.0..=1.0).contains(v))
}

/// `F.binary_cross_entropy`: `-w (y log x + (1 - y) log(1 - x))` with each log clamped at -100.
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction) -> Result<Tensor> {
    if !within_unit(input) {
        return Err(Error::runtime("all elements of input should be between 0 and 1"));
    }
    if !within_unit(target) {
        return Err(Error::runtime("all elements of target should be between 0 and 1"));
    }
    let weight = weight.cloned();
    let w2 = weight.clone();
    let clamped_log = |t: &Tensor| clamp(&log(t)?, Some(Scalar::Float(-100.0)), None);
    pointwise_loss(
        "BinaryCrossEntropyBackward0",
        input,
        target,
        reduction,
        move |x, y| {
            let pos = mul(y, &clamped_log(x)?)?;
            let neg_part = mul(&rsub_scalar(y, Scalar::Int(1))?, &clamped_log(&rsub_scalar(x, Scalar::Int(1))?)?)?;
            weighted(neg(&super::add(&pos, &neg_part)?)?, &weight)
        },
        // d bce = w (x - y) / max(x (1 - x), 1e-12) for the input, w (log(1 - x) - log x) for the target
        Box::new(move |x, y, want| {
            let dx = if want[0] {
                let denom = clamp(&mul(x, &rsub_scalar(x, Scalar::Int(1))?)?, Some(Scalar::Float(1e-12)), None)?;
                Some(weighted(super::div(&sub(x, y)?, &denom)?, &w2)?)
            } else {
                None
            };
            let dy = if want[1] { Some(weighted(sub(&log(&rsub_scalar(x, Scalar::Int(1))?)?, &log(x)?)?, &w2)?) } else { None };
            Ok([dx, dy])
        }),
    )
}

/// `F.binary_cross_entropy_with_logits`, stable for any logit:
/// `w ((1 - y) x - (1 + (p - 1) y) log sigmoid(x))` with `p = pos_weight` (1 when absent).
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let (weight, pos_weight) = (weight.cloned(), pos_weight.cloned());
    let (w2, p2) = (weight.clone(), pos_weight.clone());
    // 1 + (p - 1) y
    let log_weight = |y: &Tensor, p: &Option<Tensor>| -> Result<Option<Tensor>> {
        p.as_ref().map(|p| super::add(&scalar(1.0), &mul(&sub(p, &scalar(1.0))?, y)?)).transpose()
    };
    pointwise_loss(
        "BinaryCrossEntropyWithLogitsBackward0",
        input,
        target,
        reduction,
        move |x, y| {
            let first = mul(&rsub_scalar(y, Scalar::Int(1))?, x)?;
            let ls = log_sigmoid(x)?;
            let second = match log_weight(y, &pos_weight)? {
                Some(lw) => mul(&lw, &ls)?,
                None => ls,
            };
            weighted(sub(&first, &second)?, &weight)
        },
        // d/dx = w (sigmoid(x) (1 + (p-1) y) - p y); d/dy = w (log sigmoid(-x) - p log sigmoid(x))
        Box::new(move |x, y, want| {
            let dx = if want[0] {
                let s = sigmoid(x)?;
                let d = match (&p2, log_weight(y, &p2)?) {
                    (Some(p), Some(lw)) => sub(&mul(&s, &lw)?, &mul(p, y)?)?,
                    _ => sub(&s, y)?,
                };
                Some(weighted(d, &w2)?)
            } else {
                None
            };
            let dy = if want[1] {
                let d = match &p2 {
                    Some(p) => sub(&log_sigmoid(&neg(x)?)?, &mul(p, &log_sigmoid(x)?)?)?,
                    None => neg(x)?,
                };
                Some(weighted(d, &w2)?)
            } else {
                None
            };
            Ok([dx, dy])
        }),
    )
}

/// `F.nll_loss` for input (n, C, d...) or (C) and class-index targets (n, d...) or ();
/// shapes and dtypes were checked by the caller. `NllLossBackward0` saves the input, the target
/// and the weight; its formula is linear in the incoming gradient.
pub fn nll_loss(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, ignore_index: i64, reduction: Reduction) -> Result<Tensor> {
    if !input.dtype().is_float() {
        return Err(Error::not_implemented(format!("\"nll_loss_out_frame\" not implemented for '{}'", input.dtype().scalar_type_name())));
    }
    let shape = input.shape();
    let (batch, classes) = if shape.len() == 1 { (1, shape[0]) } else { (shape[0], shape[1]) };
    let positions: usize = shape.iter().skip(2).product();
    let tgt = dense::<i64>(&super::shape::convert(target, DType::I64));
    let weight = weight.map(|w| super::shape::convert(w, input.dtype()));
    let (out, grad_scale) = with_float_dtype!(input.dtype(), T => {
        let w = weight.as_ref().map(dense::<T>);
        let r = kernels::nll_loss(&dense::<T>(input), &tgt, w.as_deref(), classes, positions, ignore_index)
            .map_err(|t| Error::index(format!("Target {t} is out of bounds.")))?;
        let out = match reduction {
            Reduction::None => Tensor::from_vec(r.losses, &target.shape())?,
            Reduction::Sum => Tensor::from_vec(vec![T::from_f64(r.sum)], &[])?,
            Reduction::Mean => Tensor::from_vec(vec![T::from_f64(r.sum / r.total_weight)], &[])?,
        };
        (out, if reduction == Reduction::Mean { 1.0 / r.total_weight } else { 1.0 })
    });
    debug_assert_eq!(batch * positions, tgt.len());
    let dtype = input.dtype();
    record(&[input], &[&out], || {
        let saved = vec![save_input("self", input), save_input("target", target), Some(SavedTensor::maybe("weight", weight.as_ref()))];
        // d nll = -weight[t] * scale * grad at the target class, 0 elsewhere
        { let saved_values = super::backward::vals![("ignore_index", ignore_index), ("reduction", reduction.code())]; backward_fn("NllLossBackward0", saved, move |_, s, g| {
            let w = s.get(2).cloned().flatten();
            let d = with_float_dtype!(dtype, T => {
                let w = w.as_ref().map(dense::<T>);
                Tensor::from_vec(kernels::nll_loss_grad::<T>(&tgt, w.as_deref(), classes, positions, ignore_index, grad_scale), &shape)?
            });
            // 'none' gives one gradient per target: broadcast it over the class dim.
            let grad = if reduction == Reduction::None && shape.len() > 1 {
                let mut gshape: Vec<i64> = shape.iter().map(|&v| v as i64).collect();
                gshape[1] = 1;
                reshape(&g[0], &gshape)?
            } else {
                g[0].clone()
            };
            Ok(vec![Some(mul(&d, &grad)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn reductions_parse_with_pytorch_message() {
        assert_eq!(Reduction::parse("mean").unwrap(), Reduction::Mean);
        assert_eq!(Reduction::parse("foo").unwrap_err().message(), "foo is not a valid value for reduction");
    }

    #[test]
    fn nll_loss_means_over_target_weights() {
        let x = t(&[-1.0, -2.0, -3.0, -0.5, -1.5, -2.5], &[2, 3]);
        let y = Tensor::from_vec(vec![2i64, 0], &[2]).unwrap();
        let w = t(&[1.0, 2.0, 4.0], &[3]);
        let out = nll_loss(&x, &y, Some(&w), -100, Reduction::Mean).unwrap();
        assert_eq!(out.item_f64().unwrap(), (12.0 + 0.5) / 5.0);
        let bad = Tensor::from_vec(vec![3i64, 0], &[2]).unwrap();
        assert_eq!(nll_loss(&x, &bad, None, -100, Reduction::Sum).unwrap_err().message(), "Target 3 is out of bounds.");
    }

    #[test]
    fn bce_with_logits_is_stable_for_large_logits() {
        let x = t(&[1000.0, -1000.0], &[2]);
        let y = t(&[1.0, 0.0], &[2]);
        let out = binary_cross_entropy_with_logits(&x, &y, None, None, Reduction::None).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![0.0, 0.0]);
    }
}
