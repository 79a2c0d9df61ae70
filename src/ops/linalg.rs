//! Matrix products: mm, mv, dot, bmm, addmm, outer and matmul with PyTorch's dispatch on the
//! operands' dimensions (and its grad_fn names), plus the private views their backward formulas
//! need. einsum lives in `einsum.rs`.

use super::backward::{backward_fn, number, save_if, vals};
use super::binary::mul_scalar;
use super::{shape_i64, needs, record};
use crate::cpu::matmul::{self as kernels, MatView, MatmulElement};
use crate::error::{Error, Result};
use crate::ops::{add, clone, expand, mul, reshape};
use crate::tensor::{broadcast_shapes, DType, Layout, Tensor};

fn no_bool(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype() == DType::Bool {
        return Err(Error::not_implemented(format!("\"{kernel}\" not implemented for 'Bool'")));
    }
    Ok(())
}

// ----- private views (the lead unifies them with the shape ops at merge) -----

/// A view of `t` with dims reordered by `perm` (`t.permute(perm)`), recorded as PermuteBackward0.
pub(crate) fn permute(t: &Tensor, perm: &[usize]) -> Result<Tensor> {
    let l = t.data().layout;
    let layout = Layout {
        shape: perm.iter().map(|&p| l.shape[p]).collect(),
        strides: perm.iter().map(|&p| l.strides[p]).collect(),
        offset: l.offset,
    };
    let out = t.view_with_layout(layout);
    let mut inverse = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    record(&[t], &[&out], || {
        // d permute(t, p) = grad permuted by p's inverse
        backward_fn("PermuteBackward0", vec![], move |_, _, g| Ok(vec![Some(permute(&g[0], &inverse)?)])).values(vals![("dims", &perm[..])])
    })?;
    Ok(out)
}

/// `t.transpose(-2, -1)` as a view (TransposeBackward0); used by the backward formulas.
pub(crate) fn transpose_last2(t: &Tensor) -> Result<Tensor> {
    let l = t.data().layout;
    let n = l.ndim();
    let mut layout = l.clone();
    layout.shape.swap(n - 2, n - 1);
    layout.strides.swap(n - 2, n - 1);
    let out = t.view_with_layout(layout);
    record(&[t], &[&out], || {
        // d transpose(t) = grad transposed back
        backward_fn("TransposeBackward0", vec![], |_, _, g| Ok(vec![Some(transpose_last2(&g[0])?)]))
    })?;
    Ok(out)
}

/// A freshly computed contiguous tensor re-shaped without copying, recorded as PyTorch's
/// `_unsafe_view` (UnsafeViewBackward0) or as `squeeze(dims)` (SqueezeBackward4).
fn view_as(t: &Tensor, shape: &[usize], name: &'static str) -> Result<Tensor> {
    debug_assert!(t.is_contiguous());
    let input_shape = t.shape();
    let out = t.view_with_layout(Layout { offset: t.data().layout.offset, ..Layout::contiguous(shape) });
    record(&[t], &[&out], || {
        // d view(t) = grad reshaped back
        let sizes = vals![("self_sym_sizes", &input_shape[..])];
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(reshape(&g[0], &shape_i64(&input_shape))?)])).values(sizes)
    })?;
    Ok(out)
}

/// A matrix operand's strides as mm/addmm nodes keep them: only for an operand whose gradient
/// will be computed (PyTorch shows `()` otherwise).
fn strides_if(t: &Tensor) -> Vec<i64> {
    if t.requires_grad() {
        t.strides().iter().map(|&s| s as i64).collect()
    } else {
        Vec::new()
    }
}

// ----- raw products -----

/// A tensor of rank >= 1 seen as a batch of matrices: the last two dims are (rows, cols), a 1-d
/// tensor is one column when `column` (else one row), and a 3-d tensor's first dim is the batch.
fn mat_view<'a, T>(data: &'a [T], layout: &Layout, column: bool) -> MatView<'a, T> {
    let s = &layout.strides;
    let (batch_stride, row_stride, col_stride) = match (s.len(), column) {
        (1, true) => (0, s[0], 0),
        (1, false) => (0, 0, s[0]),
        (2, _) => (0, s[0], s[1]),
        (_, _) => (s[0], s[1], s[2]),
    };
    MatView { data, offset: layout.offset, batch_stride, row_stride, col_stride }
}

fn product_kernel<T: MatmulElement>(a: &Tensor, b: &Tensor, batch: usize, m: usize, k: usize, n: usize, out_shape: &[usize]) -> Result<Tensor> {
    let (da, db) = (a.data(), b.data());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    let va = mat_view(T::slice(&ba), &da.layout, false);
    let vb = mat_view(T::slice(&bb), &db.layout, true);
    Tensor::from_vec(kernels::batched(&va, &vb, batch, m, k, n), out_shape)
}

/// `a @ b` for matrices (or a batch of them) without recording; dtypes already match.
fn product_raw(a: &Tensor, b: &Tensor, batch: usize, m: usize, k: usize, n: usize, out_shape: &[usize]) -> Result<Tensor> {
    match a.dtype() {
        DType::F32 => product_kernel::<f32>(a, b, batch, m, k, n, out_shape),
        DType::F64 => product_kernel::<f64>(a, b, batch, m, k, n, out_shape),
        DType::I64 => product_kernel::<i64>(a, b, batch, m, k, n, out_shape),
        // Narrower integers multiply in int64 and wrap back, as C++ integer arithmetic would.
        DType::I32 | DType::U8 => {
            let wide = |t: &Tensor| super::shape::convert(t, DType::I64);
            let out = product_kernel::<i64>(&wide(a), &wide(b), batch, m, k, n, out_shape)?;
            Ok(super::shape::convert(&out, a.dtype()))
        }
        DType::Bool => unreachable!("bool products are rejected before the kernel"),
    }
}

// ----- the ops -----

/// `torch.mm(a, b)`: (n x k) @ (k x m).
pub fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa.len() != 2 {
        return Err(Error::runtime("self must be a matrix"));
    }
    if sb.len() != 2 {
        return Err(Error::runtime("mat2 must be a matrix"));
    }
    if sa[1] != sb[0] {
        return Err(Error::runtime(format!(
            "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
            sa[0], sa[1], sb[0], sb[1]
        )));
    }
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "expected m1 and m2 to have the same dtype, but got: {} != {}",
            a.dtype().cpp_type_name(),
            b.dtype().cpp_type_name()
        )));
    }
    no_bool(a, "addmm_impl_cpu_")?;
    let out = product_raw(a, b, 1, sa[0], sa[1], sb[1], &[sa[0], sb[1]])?;
    record(&[a, b], &[&out], || {
        // d(a@b) = grad@b^T, a^T@grad
        let saved = vec![save_if(b.requires_grad(), "self", a), save_if(a.requires_grad(), "mat2", b)];
        let sizes = vals![("self_sym_sizes", &a.shape()[..]), ("self_sym_strides", strides_if(a)), ("mat2_sym_sizes", &b.shape()[..]), ("mat2_sym_strides", strides_if(b))];
        backward_fn("MmBackward0", saved, |node, s, g| {
            let grad_a = if needs(node, 0) { Some(mm(&g[0], &transpose_last2(s[1].as_ref().expect("saved"))?)?) } else { None };
            let grad_b = if needs(node, 1) { Some(mm(&transpose_last2(s[0].as_ref().expect("saved"))?, &g[0])?) } else { None };
            Ok(vec![grad_a, grad_b])
        })
        .values(sizes)
    })?;
    Ok(out)
}

/// `torch.mv(a, v)`: (n x k) @ (k,).
pub fn mv(a: &Tensor, v: &Tensor) -> Result<Tensor> {
    let (sa, sv) = (a.shape(), v.shape());
    if sa.len() != 2 || sv.len() != 1 {
        return Err(Error::runtime(format!("vector + matrix @ vector expected, got 1, {}, {}", sa.len(), sv.len())));
    }
    if sa[1] != sv[0] {
        return Err(Error::runtime(format!("size mismatch, got input ({}), mat ({}x{}), vec ({})", sa[0], sa[0], sa[1], sv[0])));
    }
    if a.dtype() != v.dtype() {
        let (dv, da) = (v.dtype().scalar_type_name(), a.dtype().scalar_type_name());
        return Err(Error::runtime(format!("addmv input tensors must have the same dtype, but got {dv}, {da}, and {dv}")));
    }
    no_bool(a, "addmv_impl_cpu")?;
    let out = product_raw(a, v, 1, sa[0], sa[1], 1, &[sa[0]])?;
    record(&[a, v], &[&out], || {
        // d(a@v) = outer(grad, v), a^T@grad
        let saved = vec![save_if(v.requires_grad(), "self", a), save_if(a.requires_grad(), "vec", v)];
        backward_fn("MvBackward0", saved, |node, s, g| {
            let grad_a = if needs(node, 0) { Some(outer(&g[0], s[1].as_ref().expect("saved"))?) } else { None };
            let grad_v = if needs(node, 1) { Some(mv(&transpose_last2(s[0].as_ref().expect("saved"))?, &g[0])?) } else { None };
            Ok(vec![grad_a, grad_v])
        })
    })?;
    Ok(out)
}

/// `torch.dot(a, b)`: the inner product of two vectors (a 0-d tensor).
pub fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa.len() != 1 || sb.len() != 1 {
        return Err(Error::runtime(format!("1D tensors expected, but got {}D and {}D tensors", sa.len(), sb.len())));
    }
    if sa[0] != sb[0] {
        return Err(Error::runtime(format!(
            "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
            sa[0], sb[0], sa[0], sb[0]
        )));
    }
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "dot : expected both vectors to have same dtype, but found {} and {}",
            a.dtype().scalar_type_name(),
            b.dtype().scalar_type_name()
        )));
    }
    no_bool(a, "dot")?;
    let out = product_raw(a, b, 1, 1, sa[0], 1, &[])?;
    record(&[a, b], &[&out], || {
        // d(a.b) = grad*b, grad*a
        let saved = vec![save_if(b.requires_grad(), "self", a), save_if(a.requires_grad(), "tensor", b)];
        backward_fn("DotBackward0", saved, |node, s, g| {
            let grad_a = if needs(node, 0) { Some(mul(&g[0], s[1].as_ref().expect("saved"))?) } else { None };
            let grad_b = if needs(node, 1) { Some(mul(&g[0], s[0].as_ref().expect("saved"))?) } else { None };
            Ok(vec![grad_a, grad_b])
        })
    })?;
    Ok(out)
}

/// `torch.bmm(a, b)`: (B x n x k) @ (B x k x m).
pub fn bmm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa.len() != 3 {
        return Err(Error::runtime("batch1 must be a 3D tensor"));
    }
    if sb.len() != 3 {
        return Err(Error::runtime("batch2 must be a 3D tensor"));
    }
    if sb[0] != sa[0] || sb[1] != sa[2] {
        return Err(Error::runtime(format!(
            "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
            sa[0], sa[2], sb[0], sb[1]
        )));
    }
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "expected scalar type {} but found {}",
            a.dtype().scalar_type_name(),
            b.dtype().scalar_type_name()
        )));
    }
    no_bool(a, "bmm")?;
    let out = product_raw(a, b, sa[0], sa[1], sa[2], sb[2], &[sa[0], sa[1], sb[2]])?;
    record(&[a, b], &[&out], || {
        // d(a@b) = grad@b^T, a^T@grad (per batch)
        let saved = vec![save_if(b.requires_grad(), "self", a), save_if(a.requires_grad(), "mat2", b)];
        backward_fn("BmmBackward0", saved, |node, s, g| {
            let grad_a = if needs(node, 0) { Some(bmm(&g[0], &transpose_last2(s[1].as_ref().expect("saved"))?)?) } else { None };
            let grad_b = if needs(node, 1) { Some(bmm(&transpose_last2(s[0].as_ref().expect("saved"))?, &g[0])?) } else { None };
            Ok(vec![grad_a, grad_b])
        })
    })?;
    Ok(out)
}

/// `torch.outer(a, b)`: `a.reshape(n, 1) * b` (so its node is MulBackward0, as in PyTorch).
pub fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    for (t, name) in [(a, "self"), (b, "vec2")] {
        if t.dim() != 1 {
            return Err(Error::runtime(format!("outer: Expected 1-D argument {name}, but got {}-D", t.dim())));
        }
    }
    mul(&reshape(a, &[a.numel() as i64, 1])?, b)
}

/// `torch.addmm(input, m1, m2, beta=, alpha=)`: `beta*input + alpha*(m1 @ m2)`.
pub fn addmm(input: &Tensor, m1: &Tensor, m2: &Tensor, beta: f64, alpha: f64) -> Result<Tensor> {
    if m1.dim() != 2 {
        return Err(Error::runtime(format!("mat1 must be a matrix, got {}-D tensor", m1.dim())));
    }
    if m2.dim() != 2 {
        return Err(Error::runtime(format!("mat2 must be a matrix, got {}-D tensor", m2.dim())));
    }
    let (s1, s2) = (m1.shape(), m2.shape());
    if s1[1] != s2[0] {
        return Err(Error::runtime(format!(
            "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
            s1[0], s1[1], s2[0], s2[1]
        )));
    }
    let out_shape = [s1[0], s2[1]];
    // Broadcasting `input` reports the expand error, as PyTorch's expand_size does.
    input.data().layout.broadcast_to(&out_shape)?;
    for (name, t, other) in [("self", input, m2), ("mat1", m1, m2)] {
        if t.dtype() != other.dtype() {
            return Err(Error::runtime(format!(
                "{name} and mat2 must have the same dtype, but got {} and {}",
                t.dtype().scalar_type_name(),
                other.dtype().scalar_type_name()
            )));
        }
    }
    no_bool(m1, "addmm_impl_cpu_")?;
    let out = {
        let _guard = crate::autograd::GradModeGuard::new(false);
        let product = product_raw(m1, m2, 1, s1[0], s1[1], s2[1], &out_shape)?;
        let scaled = if alpha == 1.0 { product } else { super::binary::mul_scalar_raw(&product, alpha)? };
        let scaled = super::shape::convert(&scaled, m1.dtype());
        if beta == 0.0 {
            scaled // PyTorch ignores `input` (even NaN) when beta is 0
        } else {
            let base = if beta == 1.0 { input.clone() } else { super::binary::mul_scalar_raw(input, beta)? };
            super::shape::convert(&add(&expand(&base, &out_shape)?, &scaled)?, m1.dtype())
        }
    };
    record(&[input, m1, m2], &[&out], || {
        // d(beta*input + alpha*m1@m2) = beta*grad, alpha*grad@m2^T, alpha*m1^T@grad
        let saved = vec![save_if(m2.requires_grad(), "mat1", m1), save_if(m1.requires_grad(), "mat2", m2)];
        let values = vals![("alpha", number(alpha)), ("beta", number(beta)), ("mat1_sym_sizes", &m1.shape()[..]), ("mat1_sym_strides", strides_if(m1)), ("mat2_sym_sizes", &m2.shape()[..]), ("mat2_sym_strides", strides_if(m2))];
        backward_fn("AddmmBackward0", saved, move |node, s, g| {
            let scale = |t: Tensor, c: f64| if c == 1.0 { Ok(t) } else { mul_scalar(&t, c) };
            let grad_input = if needs(node, 0) { Some(scale(g[0].clone(), beta)?) } else { None };
            let grad_m1 = if needs(node, 1) {
                Some(scale(mm(&g[0], &transpose_last2(s[1].as_ref().expect("saved"))?)?, alpha)?)
            } else {
                None
            };
            let grad_m2 = if needs(node, 2) {
                Some(scale(mm(&transpose_last2(s[0].as_ref().expect("saved"))?, &g[0])?, alpha)?)
            } else {
                None
            };
            Ok(vec![grad_input, grad_m1, grad_m2])
        })
        .values(values)
    })?;
    Ok(out)
}

/// `a @ b` / `torch.matmul`, dispatching on the operands' dimensions as PyTorch does.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (da, db) = (a.dim(), b.dim());
    if da == 0 || db == 0 {
        return Err(Error::runtime(format!(
            "both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )));
    }
    match (da, db) {
        (1, 1) => dot(a, b),
        (2, 1) => mv(a, b),
        (1, 2) => {
            // unsqueeze(0).mm(b).squeeze(0)
            let row = reshape(a, &[1, a.numel() as i64])?;
            let product = mm(&row, b)?;
            let n = product.shape()[1];
            view_as(&product, &[n], "SqueezeBackward4")
        }
        (2, 2) => mm(a, b),
        (_, 1) | (_, 2) => {
            // Fold the batch dims of `a` into its rows: one mm (or mv) instead of a batch.
            let sa = a.shape();
            let k = sa[da - 1];
            let rows = sa[..da - 1].iter().product::<usize>();
            let folded = reshape(a, &[rows as i64, k as i64])?;
            let mut out_shape = sa[..da - 1].to_vec();
            let product = if db == 2 {
                out_shape.push(b.shape()[1]);
                mm(&folded, b)?
            } else {
                mv(&folded, b)?
            };
            view_as(&product, &out_shape, "UnsafeViewBackward0")
        }
        (2, _) => {
            // (b^T @ a^T)^T, folded the other way round, then made contiguous (CloneBackward0).
            let t = transpose_last2(&matmul(&transpose_last2(b)?, &transpose_last2(a)?)?)?;
            if t.is_contiguous() {
                Ok(t)
            } else {
                clone(&t)
            }
        }
        _ => batched_matmul(a, b),
    }
}

/// The broadcast batched case of matmul: both operands expanded to the common batch shape,
/// flattened to 3-d, multiplied with bmm, and viewed as the output shape.
fn batched_matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    let (da, db) = (sa.len(), sb.len());
    let n = if da > 1 { sa[da - 2] } else { 1 };
    let k1 = sa[da - 1];
    let (k2, p) = if db > 1 { (sb[db - 2], sb[db - 1]) } else { (sb[0], 1) };
    let batch_a = if da > 2 { &sa[..da - 2] } else { &[][..] };
    let batch_b = if db > 2 { &sb[..db - 2] } else { &[][..] };
    let batch = broadcast_shapes(batch_a, batch_b)?;
    let count: usize = batch.iter().product();
    let a_mat = if da == 1 { reshape(a, &[1, k1 as i64])? } else { a.clone() };
    let b_mat = if db == 1 { reshape(b, &[k2 as i64, 1])? } else { b.clone() };
    let expand_to = |t: &Tensor, rows: usize, cols: usize| -> Result<Tensor> {
        let mut shape = batch.clone();
        shape.extend([rows, cols]);
        let t = if t.shape() == shape { t.clone() } else { expand(t, &shape)? };
        reshape(&t, &[count as i64, rows as i64, cols as i64])
    };
    let product = bmm(&expand_to(&a_mat, n, k1)?, &expand_to(&b_mat, k2, p)?)?;
    let mut out_shape = batch.clone();
    if da > 1 {
        out_shape.push(n);
    }
    if db > 1 {
        out_shape.push(p);
    }
    view_as(&product, &out_shape, "UnsafeViewBackward0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn mm_of_a_transposed_view_reads_strides() {
        let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let at = transpose_last2(&a).unwrap();
        assert!(!at.is_contiguous());
        let out = mm(&at, &a).unwrap();
        assert_eq!(out.shape(), vec![3, 3]);
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
    }

    #[test]
    fn matmul_dispatch_shapes() {
        let cases: &[(&[usize], &[usize], &[usize])] = &[
            (&[3], &[3], &[]),
            (&[2, 3], &[3], &[2]),
            (&[3], &[3, 4], &[4]),
            (&[5, 2, 3], &[3, 4], &[5, 2, 4]),
            (&[2, 3], &[5, 3, 4], &[5, 2, 4]),
            (&[2, 1, 2, 3], &[5, 3, 4], &[2, 5, 2, 4]),
            (&[3], &[5, 3, 4], &[5, 4]),
        ];
        for (sa, sb, want) in cases {
            let a = Tensor::ones(sa, DType::F64);
            let b = Tensor::ones(sb, DType::F64);
            let out = matmul(&a, &b).unwrap();
            assert_eq!(&out.shape()[..], *want);
            assert!(out.to_vec::<f64>().unwrap().iter().all(|&v| v == 3.0));
        }
    }

    #[test]
    fn errors_are_worded_like_pytorch() {
        let a = Tensor::ones(&[2, 3], DType::F32);
        assert_eq!(mm(&a, &a).unwrap_err().message(), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
        let b = Tensor::ones(&[3, 2], DType::F64);
        assert_eq!(mm(&a, &b).unwrap_err().message(), "expected m1 and m2 to have the same dtype, but got: float != double");
        let err = matmul(&Tensor::ones(&[3], DType::F32), &Tensor::ones(&[4], DType::F32)).unwrap_err();
        assert!(err.message().starts_with("inconsistent tensor size, expected tensor [3] and src [4]"));
        let bools = Tensor::ones(&[2, 2], DType::Bool);
        assert_eq!(mm(&bools, &bools).unwrap_err(), Error::not_implemented("\"addmm_impl_cpu_\" not implemented for 'Bool'"));
    }
}
