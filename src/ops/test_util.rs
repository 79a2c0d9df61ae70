//! Tensors the op unit tests build their inputs from.

use crate::tensor::Tensor;

/// `0, 1, ..., n - 1` as float64 in `shape`.
pub(crate) fn arange(n: usize, shape: &[usize]) -> Tensor {
    Tensor::from_vec((0..n).map(|v| v as f64).collect::<Vec<_>>(), shape).unwrap()
}

/// A 1-d int64 tensor of `v`.
pub(crate) fn ints(v: &[i64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
}
