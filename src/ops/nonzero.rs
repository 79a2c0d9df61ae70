//! Where a tensor is nonzero: `nonzero` (coordinates as rows, or one index tensor per dim),
//! `argwhere` (the same rows) and `count_nonzero`. Integer results, never differentiable.

use super::reduce::{plan_dims, sum_dims_raw};
use crate::cpu::search as kernels;
use crate::error::Result;
use crate::tensor::{DType, Element, Tensor};
use crate::with_dtype;

/// The `[n, ndim]` int64 coordinates of the nonzero elements of `t` in row-major order (a 0-d
/// tensor gives `[1, 0]` when nonzero, `[0, 0]` when zero).
pub fn nonzero(t: &Tensor) -> Result<Tensor> {
    let data = t.data_ref();
    let buffer = data.storage.read();
    let ndim = data.layout.ndim();
    let coords = with_dtype!(data.dtype, T => kernels::nonzero(T::slice(&buffer), &data.layout));
    let rows = if ndim == 0 {
        // The 0-d walk visits one element and writes no coordinate: count it separately.
        let value = with_dtype!(data.dtype, T => T::slice(&buffer)[data.layout.offset] != T::default());
        usize::from(value)
    } else {
        coords.len() / ndim
    };
    Tensor::from_vec(coords, &[rows, ndim])
}

/// `nonzero(as_tuple=True)`: one int64 index tensor per dim (a 0-d tensor counts as 1-d).
pub fn nonzero_tuple(t: &Tensor) -> Result<Vec<Tensor>> {
    let t = if t.dim() == 0 { super::reshape(t, &[1])? } else { t.clone() };
    let rows = nonzero(&t)?;
    let (n, ndim) = (rows.shape()[0], t.dim());
    let coords = rows.to_vec::<i64>()?;
    (0..ndim)
        .map(|d| Tensor::from_vec((0..n).map(|i| coords[i * ndim + d]).collect::<Vec<i64>>(), &[n]))
        .collect()
}

/// The number of nonzero elements of `t` (over `dims` when given), as int64.
pub fn count_nonzero(t: &Tensor, dims: Option<&[i64]>) -> Result<Tensor> {
    let (reduce, out_shape) = plan_dims(&t.shape(), dims, false)?;
    let flags = with_dtype!(t.dtype(), T => {
        let data = t.data_ref();
        let buffer = data.storage.read();
        let zero = T::default();
        Tensor::from_vec(crate::cpu::elementwise::unary(T::slice(&buffer), &data.layout, |x| x != zero), &data.layout.shape)?
    });
    let counts = sum_dims_raw(&flags, &reduce, &out_shape)?;
    debug_assert_eq!(counts.dtype(), DType::I64);
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonzero_rows_and_tuples() {
        let t = Tensor::from_vec(vec![0.0f32, 1.5, 2.0, 0.0], &[2, 2]).unwrap();
        let rows = nonzero(&t).unwrap();
        assert_eq!(rows.shape(), vec![2, 2]);
        assert_eq!(rows.to_vec::<i64>().unwrap(), vec![0, 1, 1, 0]);
        let cols = nonzero_tuple(&t).unwrap();
        assert_eq!(cols[0].to_vec::<i64>().unwrap(), vec![0, 1]);
        assert_eq!(cols[1].to_vec::<i64>().unwrap(), vec![1, 0]);
        assert_eq!(nonzero(&Tensor::scalar(3.0, DType::F64)).unwrap().shape(), vec![1, 0]);
        assert_eq!(nonzero(&Tensor::scalar(0.0, DType::F64)).unwrap().shape(), vec![0, 0]);
        assert_eq!(count_nonzero(&t, Some(&[1])).unwrap().to_vec::<i64>().unwrap(), vec![1, 1]);
        assert_eq!(count_nonzero(&t, None).unwrap().to_vec::<i64>().unwrap(), vec![2]);
    }
}
