//! `F.pad`'s 'constant', 'reflect' and 'replicate' modes, each one autograd node named as
//! PyTorch names it (`ConstantPadNdBackward0`, `ReflectionPad{1,2,3}DBackward0`,
//! `ReplicationPad{1,2,3}DBackward0`). Each padded dim is an `index_select` of the (for
//! 'constant', value-extended) input by a source-index table; the backward scatter-adds the
//! gradient back through the same tables. Argument checks with PyTorch's messages live in
//! `python/rustgrad/nn/_functional_pad.py`.

use super::backward::backward_fn;
use super::{cat, index_select, narrow, record, scatter_add};
use crate::autograd::{GradModeGuard, SavedTensor};
use crate::error::{CheckedCollect, Error, Result};
use crate::tensor::Tensor;

/// How padded positions get their values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// a constant (negative pads crop)
    Constant(f64),
    /// mirror without repeating the edge (`pad < size`)
    Reflect,
    /// repeat the edge
    Replicate,
}

/// The source index of each output position along a dim of `n` elements padded by
/// `(left, right)`; `n` itself stands for the constant.
fn source_indices(mode: PadMode, n: i64, left: i64, right: i64) -> Vec<i64> {
    (-left..n + right)
        .map(|i| match mode {
            PadMode::Constant(_) => {
                if (0..n).contains(&i) {
                    i
                } else {
                    n
                }
            }
            PadMode::Reflect => {
                let i = i.abs();
                if i >= n {
                    2 * (n - 1) - i
                } else {
                    i
                }
            }
            PadMode::Replicate => i.clamp(0, n - 1),
        })
        .checked_collect()
}

/// One padded dim: where it is, its input size and its source-index table.
struct DimPlan {
    dim: usize,
    size: usize,
    extended: bool,
    index: Tensor,
}

/// The index tensor scatter-add needs: `table` along `dim`, broadcast over `shape`.
fn scatter_index(table: &[i64], shape: &[usize], dim: usize) -> Result<Tensor> {
    let outer: usize = shape[..dim].iter().product();
    let inner: usize = shape[dim + 1..].iter().product();
    let mut values = Vec::with_capacity(outer * table.len() * inner);
    for _ in 0..outer {
        for &j in table {
            values.extend(std::iter::repeat_n(j, inner));
        }
    }
    Tensor::from_vec(values, shape)
}

/// `F.pad(t, pads, mode)`: `pads` in PyTorch's order (last dim's left and right first), checked
/// by the caller (output sizes positive, reflect pads smaller than the dim).
pub fn pad(t: &Tensor, pads: &[i64], mode: PadMode) -> Result<Tensor> {
    let ndim = t.dim();
    if pads.len() % 2 != 0 || pads.len() / 2 > ndim {
        return Err(Error::runtime("Padding length must be divisible by 2 and at most twice the input's dims"));
    }
    let shape = t.shape();
    let mut plans = Vec::new();
    for (k, pair) in pads.chunks(2).enumerate() {
        let dim = ndim - 1 - k;
        let (size, left, right) = (shape[dim], pair[0], pair[1]);
        let table = source_indices(mode, size as i64, left, right);
        let extended = table.iter().any(|&i| i == size as i64);
        let index = Tensor::from_vec(table, &[(size as i64 + left + right).max(0) as usize])?;
        plans.push(DimPlan { dim, size, extended, index });
    }
    let mut out_shape = shape.clone();
    for p in &plans {
        out_shape[p.dim] = p.index.numel();
    }
    let out = if out_shape.contains(&0) || t.numel() == 0 {
        Tensor::full(&out_shape, if let PadMode::Constant(v) = mode { v } else { 0.0 }, t.dtype())
    } else {
        let _no_grad = GradModeGuard::new(false);
        let mut cur = t.clone();
        for p in &plans {
            if p.extended {
                let PadMode::Constant(value) = mode else { unreachable!("only constant padding extends") };
                let mut one = cur.shape();
                one[p.dim] = 1;
                cur = cat(&[cur, Tensor::full(&one, value, t.dtype())], p.dim as i64)?;
            }
            cur = index_select(&cur, p.dim as i64, &p.index)?;
        }
        cur
    };
    let name = match (mode, plans.len()) {
        (PadMode::Constant(_), _) => "ConstantPadNdBackward0",
        (PadMode::Reflect, 1) => "ReflectionPad1DBackward0",
        (PadMode::Reflect, 2) => "ReflectionPad2DBackward0",
        (PadMode::Reflect, _) => "ReflectionPad3DBackward0",
        (PadMode::Replicate, 1) => "ReplicationPad1DBackward0",
        (PadMode::Replicate, 2) => "ReplicationPad2DBackward0",
        (PadMode::Replicate, _) => "ReplicationPad3DBackward0",
    };
    // PyTorch's reflection/replication backward nodes save the input; constant padding saves nothing.
    let saved = if matches!(mode, PadMode::Constant(_)) { vec![] } else { vec![Some(SavedTensor::input(t))] };
    record(&[t], &[&out], || {
        // d pad(t) = the gradient summed back onto the source of each output position, dim by dim
        backward_fn(name, saved, move |_, _, g| {
            if g[0].numel() == 0 || shape.contains(&0) {
                return Ok(vec![Some(Tensor::zeros(&shape, g[0].dtype()))]);
            }
            let mut grad = g[0].clone();
            for p in plans.iter().rev() {
                let mut in_shape = grad.shape();
                in_shape[p.dim] = p.size + usize::from(p.extended);
                let index = scatter_index(&p.index.to_vec::<i64>()?, &grad.shape(), p.dim)?;
                grad = scatter_add(&Tensor::zeros(&in_shape, grad.dtype()), p.dim as i64, &index, &grad)?;
                if p.extended {
                    grad = narrow(&grad, p.dim as i64, 0, p.size as i64)?;
                }
            }
            Ok(vec![Some(grad)])
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn source_tables() {
        assert_eq!(source_indices(PadMode::Reflect, 4, 2, 3), vec![2, 1, 0, 1, 2, 3, 2, 1, 0]);
        assert_eq!(source_indices(PadMode::Replicate, 3, 2, 1), vec![0, 0, 0, 1, 2, 2]);
        assert_eq!(source_indices(PadMode::Constant(0.0), 3, 1, -1), vec![3, 0, 1]);
        assert_eq!(source_indices(PadMode::Constant(0.0), 3, -1, 2), vec![1, 2, 3, 3]);
    }

    #[test]
    fn pads_values_and_sums_grads_back() {
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3]).unwrap();
        let out = pad(&t, &[2, 1], PadMode::Reflect).unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
        let out = pad(&t, &[1, 1, 1, 0], PadMode::Constant(-1.0)).unwrap();
        assert_eq!(out.shape(), vec![2, 5]);
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 2.0, 3.0, -1.0]);
        let w = t.with_requires_grad(true).unwrap();
        let out = pad(&w, &[2, 2], PadMode::Replicate).unwrap();
        crate::autograd::backward(&[crate::ops::sum(&out).unwrap()], vec![None], None, false, None).unwrap();
        assert_eq!(w.grad().unwrap().to_vec::<f32>().unwrap(), vec![3.0, 1.0, 3.0]);
    }

    #[test]
    fn empty_inputs_and_outputs() {
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap().with_requires_grad(true).unwrap();
        let out = pad(&t, &[-2, 0, 1, 0], PadMode::Constant(5.0)).unwrap();
        assert_eq!(out.shape(), vec![3, 0]);
        crate::autograd::backward(&[crate::ops::sum(&out).unwrap()], vec![None], None, false, None).unwrap();
        assert_eq!(t.grad().unwrap().to_vec::<f32>().unwrap(), vec![0.0; 4]);
        let empty = Tensor::zeros(&[2, 0], DType::F32);
        assert_eq!(pad(&empty, &[1, 1], PadMode::Constant(5.0)).unwrap().to_vec::<f32>().unwrap(), vec![5.0; 4]);
    }
}
