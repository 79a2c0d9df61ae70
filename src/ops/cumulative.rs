//! Running products and extremes along one dim (cumprod, cummax, cummin), and `rsub`.

use super::backward::{backward_fn, input, output, vals};
use super::gather::{flip, scatter_add};
use super::{cat, cumsum, div, mul, needs, prod, record, slice, stack, sum_dims, wrap_dim};
use crate::autograd::{is_grad_enabled, GradModeGuard};
use crate::cpu::{reduce as lanes, scan};
use crate::error::Result;
use crate::tensor::{DType, Element, Scalar, Tensor};
use crate::with_dtype;

/// Running products along `d` without recording (integers and bools multiply as int64).
fn cumprod_raw(t: &Tensor, d: usize) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let shape = data.layout.shape.clone();
    match data.dtype {
        DType::F32 => Tensor::from_vec(lanes::map_lanes(f32::slice(&buffer), &data.layout, d, scan::cumprod_lane_f32), &shape),
        DType::F64 => Tensor::from_vec(lanes::map_lanes(f64::slice(&buffer), &data.layout, d, scan::cumprod_lane_f64), &shape),
        DType::I64 => Tensor::from_vec(lanes::map_lanes(i64::slice(&buffer), &data.layout, d, scan::cumprod_lane_i64), &shape),
        DType::Bool | DType::I32 | DType::U8 => {
            drop(buffer);
            cumprod_raw(&super::shape::convert(t, DType::I64), d)
        }
    }
}

/// `t.cumprod(dim)` (CumprodBackward0; ints and bools give int64).
pub fn cumprod(t: &Tensor, dim: i64) -> Result<Tensor> {
    let d = wrap_dim(dim, t.dim())?;
    let out = cumprod_raw(t, d)?;
    record(&[t], &[&out], || {
        // d cumprod(x)_k = sum_{j>=k} grad_j * prod_{i<=j, i!=k} x_i (exact when x holds zeros)
        let saved = vec![input("self", t), output("result", &out, 0)];
        backward_fn("CumprodBackward0", saved, move |_, s, g| {
            let (x, y) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            Ok(vec![Some(cumprod_backward(&g[0], x, y, d)?)])
        })
        .values(vals![("dim", dim)])
    })?;
    Ok(out)
}

/// PyTorch's cumprod_backward: the fused lane kernel when no graph is built; with create_graph,
/// `reversed_cumsum(y * grad) / x` without zeros, else the O(n^2) sum of omitted products.
fn cumprod_backward(grad: &Tensor, x: &Tensor, y: &Tensor, d: usize) -> Result<Tensor> {
    let shape = x.shape();
    if x.numel() <= 1 || shape.get(d).copied().unwrap_or(1) == 1 {
        return Ok(grad.clone());
    }
    let grad = &super::shape::convert(grad, x.dtype());
    if !is_grad_enabled() {
        let (dx, dg, dy) = (x.data(), grad.data(), y.data());
        let (bx, bg, by) = (dx.storage.read(), dg.storage.read(), dy.storage.read());
        return match dx.dtype {
            DType::F32 => {
                let f = f32::slice;
                Tensor::from_vec(scan::cumprod_backward((f(&bx), &dx.layout), (f(&bg), &dg.layout), (f(&by), &dy.layout), d), &shape)
            }
            _ => {
                let f = f64::slice;
                Tensor::from_vec(scan::cumprod_backward((f(&bx), &dx.layout), (f(&bg), &dg.layout), (f(&by), &dy.layout), d), &shape)
            }
        };
    }
    let di = d as i64;
    if !x.to_f64_vec().contains(&0.0) {
        let w = mul(y, grad)?;
        return div(&flip(&cumsum(&flip(&w, &[di])?, di)?, &[di])?, x);
    }
    let n = shape[d] as i64;
    let mut ones_shape = shape.clone();
    ones_shape[d] = 1;
    let ones = Tensor::ones(&ones_shape, x.dtype());
    let mut slices = Vec::with_capacity(n as usize);
    for k in 0..n {
        let omitted = if k == 0 {
            cat(&[ones.clone(), cumprod(&slice(x, di, Some(1), None, 1)?, di)?], di)?
        } else {
            let until_k = prod(&slice(x, di, Some(0), Some(k), 1)?, Some(di), true)?;
            if k == n - 1 {
                until_k
            } else {
                let from_k1 = cumprod(&slice(x, di, Some(k + 1), None, 1)?, di)?;
                cat(&[until_k.clone(), mul(&until_k, &from_k1)?], di)?
            }
        };
        slices.push(sum_dims(&mul(&slice(grad, di, Some(k), None, 1)?, &omitted)?, &[di], false)?);
    }
    stack(&slices, di)
}

/// `t.cummax(dim)` / `t.cummin(dim)`: running extremes and the index each came from
/// (CummaxBackward0 / CumminBackward0).
pub fn cum_extreme(t: &Tensor, dim: i64, max: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, t.dim())?;
    let shape = t.shape();
    let (values, indices) = {
        let data = t.data();
        let buffer = data.storage.read();
        with_dtype!(data.dtype, T => {
            let (v, i) = scan::cum_extreme(T::slice(&buffer), &data.layout, d, max);
            (Tensor::from_vec(v, &shape)?, Tensor::from_vec(i, &shape)?)
        })
    };
    let name = if max { "CummaxBackward0" } else { "CumminBackward0" };
    record(&[t], &[&values], || {
        // d cummax(x) = zeros with grad summed into the positions the indices name
        let saved = vec![input("indices", &indices), input("self", t)];
        backward_fn(name, saved, move |_, s, g| {
            let (indices, x) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            if x.dim() == 0 {
                return Ok(vec![Some(g[0].clone())]);
            }
            if x.numel() == 0 {
                return Ok(vec![Some(Tensor::zeros(&x.shape(), x.dtype()))]);
            }
            if !is_grad_enabled() && g[0].dtype().is_float() {
                let (dg, di) = (g[0].data(), indices.data());
                let (bg, bi) = (dg.storage.read(), di.storage.read());
                let ix = (i64::slice(&bi), &di.layout);
                return Ok(vec![Some(crate::with_float_dtype!(dg.dtype, T => Tensor::from_vec(scan::cum_extreme_backward((T::slice(&bg), &dg.layout), ix, d), &x.shape())?))]);
            }
            Ok(vec![Some(scatter_add(&Tensor::zeros(&x.shape(), g[0].dtype()), d as i64, indices, &g[0])?)])
        })
        .values(vals![("dim", dim)])
    })?;
    Ok((values, indices))
}

/// `rustgrad.rsub(input, other, alpha)`: `other - alpha * input`; `other_is_number` records
/// RsubBackward1 (a Python number, wrapped) instead of RsubBackward0.
pub fn rsub(a: &Tensor, other: &Tensor, alpha: Scalar, other_is_number: bool) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        super::sub_scaled(other, a, alpha)?
    };
    let neg_alpha = -alpha.to_f64();
    if other_is_number {
        record(&[a], &[&out], || {
            // d(c - alpha*a) = -alpha*grad
            backward_fn("RsubBackward1", vec![], move |_, _, g| Ok(vec![Some(super::binary::mul_scalar(&g[0], neg_alpha)?)]))
                .values(vals![("alpha", alpha)])
        })?;
    } else {
        record(&[a, other], &[&out], || {
            // d(other - alpha*a) = -alpha*grad, grad
            backward_fn("RsubBackward0", vec![], move |node, _, g| {
                let grad_a = if needs(node, 0) { Some(super::binary::mul_scalar(&g[0], neg_alpha)?) } else { None };
                Ok(vec![grad_a, Some(g[0].clone())])
            })
            .values(vals![("alpha", alpha)])
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumprod_promotes_integers_and_cummax_tracks_indices() {
        let t = Tensor::from_vec(vec![3i32, 1, 2, 1], &[4]).unwrap();
        let out = cumprod(&t, 0).unwrap();
        assert_eq!(out.dtype(), DType::I64);
        assert_eq!(out.to_vec::<i64>().unwrap(), vec![3, 3, 6, 6]);
        let f = Tensor::from_vec(vec![1.0f64, 3.0, 2.0, 3.0, 5.0, 0.0], &[2, 3]).unwrap();
        let (v, i) = cum_extreme(&f, 0, true).unwrap();
        assert_eq!(v.to_vec::<f64>().unwrap(), vec![1.0, 3.0, 2.0, 3.0, 5.0, 2.0]);
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![0, 0, 0, 1, 1, 0]);
        let (v, _) = cum_extreme(&f, 1, false).unwrap();
        assert_eq!(v.to_vec::<f64>().unwrap(), vec![1.0, 1.0, 1.0, 3.0, 3.0, 0.0]);
    }

    #[test]
    fn rsub_scales_the_input() {
        let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let out = rsub(&a, &Scalar::Int(5).to_tensor(), Scalar::Int(2), true).unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![3.0, 1.0]);
    }
}
