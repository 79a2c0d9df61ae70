//! `Tensor.view(dtype)`: the same bytes read as another element type.

use crate::error::{Error, Result};
use crate::tensor::{DType, Layout, Tensor, TensorData};

/// `self.view(dtype)`: a tensor over the same memory whose elements are `dtype`. With a
/// different element size the last dim scales by the size ratio (it must be contiguous). As in
/// PyTorch, the result is detached (no autograd history, `requires_grad=False`, even for the same
/// dtype) and shares the version counter with `self`.
pub fn view_dtype(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let data = t.data();
    let layout = view_dtype_layout(&data.layout, data.dtype, dtype)?;
    let storage = if data.dtype == dtype { data.storage } else { data.storage.reinterpret(dtype).map_err(Error::runtime)? };
    Ok(t.alias_with(TensorData { storage, layout, dtype }))
}

/// PyTorch's `view_dtype` checks and the layout of the result (in elements of `to`).
fn view_dtype_layout(l: &Layout, from: DType, to: DType) -> Result<Layout> {
    let (a, b) = (from.size_in_bytes(), to.size_in_bytes());
    if a == b {
        return Ok(l.clone());
    }
    let names = format!("to view {} as {} (different element sizes)", from.scalar_type_name(), to.scalar_type_name());
    let ndim = l.ndim();
    if ndim == 0 {
        return Err(Error::runtime(format!("self.dim() cannot be 0 {names}")));
    }
    let last = ndim - 1;
    if l.strides[last] != 1 {
        return Err(Error::runtime(format!("self.stride(-1) must be 1 {names}, but got {}", l.strides[last])));
    }
    let mut out = l.clone();
    if a > b {
        let r = a / b;
        out.strides[..last].iter_mut().for_each(|s| *s *= r);
        out.shape[last] *= r;
        out.offset *= r;
    } else {
        let r = b / a;
        if l.shape[last] % r != 0 {
            return Err(Error::runtime(format!("self.size(-1) must be divisible by {r} {names}, but got {}", l.shape[last])));
        }
        if l.offset % r != 0 {
            return Err(Error::runtime(format!("self.storage_offset() must be divisible by {r} {names}, but got {}", l.offset)));
        }
        for (d, s) in l.strides[..last].iter().enumerate() {
            if s % r != 0 {
                return Err(Error::runtime(format!("self.stride({d}) must be divisible by {r} {names}, but got {s}")));
            }
        }
        out.strides[..last].iter_mut().for_each(|s| *s /= r);
        out.shape[last] /= r;
        out.offset /= r;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn bytes_are_shared_both_ways() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let i = view_dtype(&x, DType::I32).unwrap();
        assert_eq!(i.to_vec::<i32>().unwrap(), vec![1.0f32.to_bits() as i32, 2.0f32.to_bits() as i32]);
        let u = view_dtype(&x, DType::U8).unwrap();
        assert_eq!(u.shape(), vec![8]);
        let d = view_dtype(&x, DType::F64).unwrap();
        assert_eq!(d.shape(), vec![1]);
        // Viewing back gives the very storage of the base.
        let back = view_dtype(&i, DType::F32).unwrap();
        assert!(Arc::ptr_eq(&back.data().storage, &x.data().storage));
        assert!(Arc::ptr_eq(&view_dtype(&u, DType::I32).unwrap().data().storage, &i.data().storage));
        i32::slice_mut_for_test(&i, 0, 3.0f32.to_bits() as i32);
        assert_eq!(x.to_vec::<f32>().unwrap(), vec![3.0, 2.0]);
    }

    #[test]
    fn checks_mirror_pytorch() {
        let l = Layout { shape: vec![4, 4], strides: vec![5, 1], offset: 0 };
        let e = view_dtype_layout(&l, DType::F32, DType::F64).unwrap_err();
        assert_eq!(e.message(), "self.stride(0) must be divisible by 2 to view Float as Double (different element sizes), but got 5");
        let l = Layout { shape: vec![3], strides: vec![1], offset: 2 };
        assert_eq!(view_dtype_layout(&l, DType::F64, DType::U8).unwrap(), Layout { shape: vec![24], strides: vec![1], offset: 16 });
    }

    trait SetForTest {
        fn slice_mut_for_test(t: &Tensor, i: usize, v: Self);
    }
    impl SetForTest for i32 {
        fn slice_mut_for_test(t: &Tensor, i: usize, v: i32) {
            let d = t.data();
            <i32 as crate::tensor::Element>::slice_mut(&mut d.storage.write())[d.layout.offset + i] = v;
        }
    }
}
