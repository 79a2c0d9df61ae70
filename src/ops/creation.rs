//! Factories (`arange`, `linspace`, `eye`) and the random in-place fills (`normal_`, `uniform_`),
//! with PyTorch's size rules, rounding and error messages.

use super::backward::backward_fn;
use super::in_place;
use super::record;
use crate::cpu::range;
use crate::error::{CheckedCollect, Error, Result};
use crate::random::{with_generator, SharedGenerator};
use crate::tensor::{DType, Element, Layout, Scalar, Tensor};
use crate::with_dtype;

/// Formats a number as C++'s `ostream << double` does in PyTorch's messages (`0`, `1.5`, `inf`).
fn cpp_number(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v.is_nan() {
        return "nan".into();
    }
    if v == v.trunc() && v.abs() < 1e16 {
        return format!("{}", v as i64);
    }
    format!("{v}")
}

/// `arange(start, end, step)` in `dtype`: PyTorch's element count (`ceil((end - start) / step)`,
/// in integer math for int64) and values `start + i * step` computed in double (int64 for
/// integer types), then cast.
pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
    if dtype == DType::Bool {
        return Err(super::unary::not_implemented("arange_cpu", dtype));
    }
    // PyTorch checks int64 ranges on the bounds truncated to int64, every other dtype on the
    // given numbers (so an int32 arange with step 0.5 is legal and repeats `start`).
    let acc = |v: f64| if dtype == DType::I64 { v.trunc() } else { v };
    let (xstart, xend, xstep) = (acc(start), acc(end), acc(step));
    if xstep == 0.0 {
        // A fractional step that int64 truncates to zero is a ValueError in PyTorch.
        return Err(if step != 0.0 { Error::value("step must be nonzero") } else { Error::runtime("step must be nonzero") });
    }
    if !xstart.is_finite() || !xend.is_finite() {
        return Err(Error::runtime(format!("unsupported range: {} -> {}", cpp_number(xstart), cpp_number(xend))));
    }
    if !((xstep > 0.0 && xend >= xstart) || (xstep < 0.0 && xend <= xstart)) {
        return Err(Error::runtime("upper bound and lower bound inconsistent with step sign"));
    }
    let size = if dtype == DType::I64 {
        let (s, e, st) = (xstart as i64, xend as i64, xstep as i64);
        let sgn = st.signum();
        // integer division truncates, as C++'s does before the (no-op) ceil
        ((e - s + st - sgn) / st) as f64
    } else {
        ((end - start) / step).ceil()
    };
    if !(size >= 0.0 && size <= i64::MAX as f64) {
        return Err(Error::runtime("invalid size, possible overflow?"));
    }
    let n = checked_len(size as i128, dtype)?;
    // Float values follow PyTorch's vectorised loop bit for bit (see cpu::range).
    let threads = crate::cpu::get_num_threads();
    match dtype {
        DType::F32 => return Tensor::from_vec(range::arange_f32(xstart, xstep, n, threads), &[n]),
        DType::F64 => return Tensor::from_vec(range::arange_f64(xstart, xstep, n, threads), &[n]),
        _ => {}
    }
    let out = with_dtype!(dtype, T => {
        // values accumulate in int64 from the truncated start and step
        let (s, st) = (start.trunc() as i64, step.trunc() as i64);
        let values: Vec<T> = (0..n as i64).map(|i| T::from_i64(s.wrapping_add(i.wrapping_mul(st)))).checked_collect();
        Tensor::from_vec(values, &[n])?
    });
    Ok(out)
}

/// `arange` from Python numbers: an int64 range of ints counts and computes in int64
/// ([`arange_i64`]); any other is sized in double ([`arange`]), and an integer one computes its
/// values `start + i * step` in int64 from int bounds, exactly (then wraps into the dtype).
pub fn arange_scalars(start: Scalar, end: Scalar, step: Scalar, dtype: DType) -> Result<Tensor> {
    let int = |s: Scalar| match s {
        Scalar::Int(i) => Some(i),
        Scalar::Bool(b) => Some(b as i64),
        Scalar::Float(_) => None,
    };
    // the kernel's int64 start and step: an int exactly, a float truncated
    let acc = |s: Scalar| int(s).unwrap_or(s.to_f64().trunc() as i64);
    match (int(start), int(end), int(step)) {
        (Some(s), Some(e), Some(st)) if dtype == DType::I64 => arange_i64(s, e, st),
        _ if dtype.is_integral() && dtype != DType::Bool && (int(start).is_some() || int(step).is_some()) => {
            let n = arange(start.to_f64(), end.to_f64(), step.to_f64(), dtype)?.numel();
            let (s, st) = (acc(start), acc(step));
            let values: Vec<i64> = (0..n as i64).map(|i| s.wrapping_add(i.wrapping_mul(st))).collect();
            Ok(super::shape::convert(&Tensor::from_vec(values, &[n])?, dtype))
        }
        _ => arange(start.to_f64(), end.to_f64(), step.to_f64(), dtype),
    }
}

/// An arange's element count as PyTorch sizes its output: a count of 2**63 (a double rounded up)
/// wraps negative in its cast to int64; one whose bytes overflow int64 is refused before
/// allocating.
fn checked_len(size: i128, dtype: DType) -> Result<usize> {
    if size >= 1 << 63 {
        return Err(Error::runtime("IntArrayRef contains an int that cannot be represented as a SymInt: -9223372036854775808"));
    }
    if size * dtype.size_in_bytes() as i128 > i64::MAX as i128 {
        return Err(Error::runtime(format!("Storage size calculation overflowed with sizes=[{size}]")));
    }
    Ok(size as usize)
}

/// `arange(start, end, step)` in int64 from int bounds, exactly: PyTorch's int64 kernel counts
/// and computes in int64 (`arange(2**62, 2**62 + 3)` has three elements, which a trip through
/// double loses), wrapping as its C++ does where the span overflows.
pub fn arange_i64(start: i64, end: i64, step: i64) -> Result<Tensor> {
    if step == 0 {
        return Err(Error::runtime("step must be nonzero"));
    }
    if !((step > 0 && end >= start) || (step < 0 && end <= start)) {
        return Err(Error::runtime("upper bound and lower bound inconsistent with step sign"));
    }
    let size = end.wrapping_sub(start).wrapping_add(step).wrapping_sub(step.signum()).wrapping_div(step);
    if size < 0 {
        return Err(Error::runtime("invalid size, possible overflow?"));
    }
    // PyTorch's size goes through a double: near 2**63 it rounds up.
    let n = checked_len((size as f64) as i128, DType::I64)?;
    let values: Vec<i64> = (0..size).map(|i| start.wrapping_add(i.wrapping_mul(step))).checked_collect();
    Tensor::from_vec(values, &[n])
}

/// `linspace(start, end, steps)` in `dtype`: `start + i * step` for the first half and
/// `end - (steps - 1 - i) * step` for the second, in the element type (double for integers),
/// fused multiply-adds as PyTorch's FMA-enabled kernels compute them.
pub fn linspace(start: f64, end: f64, steps: i64, dtype: DType) -> Result<Tensor> {
    if steps < 0 {
        return Err(Error::runtime("number of steps must be non-negative"));
    }
    let n = steps as usize;
    if n == 1 {
        return Ok(Tensor::full(&[1], start, dtype));
    }
    let out = match dtype {
        DType::F32 => {
            let (s, e) = (start as f32, end as f32);
            let step = if n > 1 { (e - s) / (n - 1) as f32 } else { 0.0 };
            Tensor::from_vec(halves(n, |i| step.mul_add(i as f32, s), |j| (-step).mul_add(j as f32, e)), &[n])?
        }
        _ => {
            let (s, e) = with_dtype!(dtype, T => (T::from_f64(start).to_f64(), T::from_f64(end).to_f64()));
            let step = if n > 1 { (e - s) / (n - 1) as f64 } else { 0.0 };
            let values = halves(n, |i| step.mul_add(i as f64, s), |j| (-step).mul_add(j as f64, e));
            with_dtype!(dtype, T => Tensor::from_vec(values.into_iter().map(T::from_f64).checked_collect(), &[n])?)
        }
    };
    Ok(out)
}

/// Values `front(i)` for the first `n / 2` indices and `back(n - 1 - i)` for the rest.
fn halves<T>(n: usize, front: impl Fn(usize) -> T, back: impl Fn(usize) -> T) -> Vec<T> {
    let halfway = n / 2;
    (0..n).map(|i| if i < halfway { front(i) } else { back(n - 1 - i) }).checked_collect()
}

/// The `n x m` identity (ones on the main diagonal).
pub fn eye(n: i64, m: Option<i64>, dtype: DType) -> Result<Tensor> {
    if n < 0 {
        return Err(Error::runtime(format!("n must be greater or equal to 0, got {n}")));
    }
    let m = m.unwrap_or(n);
    if m < 0 {
        return Err(Error::runtime(format!("m must be greater or equal to 0, got {m}")));
    }
    let (n, m) = (n as usize, m as usize);
    crate::tensor::check_storage_nbytes(&[n, m], dtype.size_in_bytes(), None)?;
    let numel = n * m;
    with_dtype!(dtype, T => {
        let mut values = crate::tensor::recycle::filled_vec(numel, T::default());
        for i in 0..n.min(m) {
            values[i * m + i] = T::one();
        }
        Tensor::from_vec(values, &[n, m])
    })
}

/// The logical indices of `layout`'s elements in the order PyTorch's TensorIterator visits them
/// for a nullary op: memory order (stable for equal offsets).
fn memory_order(layout: &Layout) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(layout.numel());
    layout.for_each_offset(|o| offsets.push(o));
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    order
}

/// Places `values` (drawn in memory order) at their logical positions.
fn in_logical_order(values: Vec<f64>, layout: &Layout) -> Vec<f64> {
    if layout.is_contiguous() {
        return values;
    }
    let mut out = vec![0.0; values.len()];
    for (v, i) in values.into_iter().zip(memory_order(layout)) {
        out[i] = v;
    }
    out
}

/// Fills `target` in place with values from `draw(generator, n, contiguous)`, recorded as
/// `node_name` (whose gradient is zero).
fn fill_random(
    target: &Tensor,
    node_name: &'static str,
    generator: Option<&SharedGenerator>,
    draw: impl FnOnce(&mut crate::random::Generator, usize, bool) -> Vec<f64>,
) -> Result<()> {
    let data = target.data();
    let contiguous = data.layout.is_contiguous();
    let values = with_generator(generator, |g| draw(g, data.layout.numel(), contiguous));
    let values = in_logical_order(values, &data.layout);
    let dtype = data.dtype;
    let shape = data.layout.shape.clone();
    in_place(target, move |t| {
        let out =
            with_dtype!(dtype, T => Tensor::from_vec(values.into_iter().map(T::from_f64).collect::<Vec<T>>(), &shape)?);
        record(&[t], &[&out], || {
            // d(random fill)/d self = 0
            backward_fn(node_name, vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
        })?;
        Ok(out)
    })
}

/// `target.normal_(mean, std)` (float tensors; the bindings reject others first).
pub fn normal_(target: &Tensor, mean: f64, std: f64, generator: Option<&SharedGenerator>) -> Result<()> {
    if std < 0.0 {
        return Err(Error::runtime(format!("normal expects std >= 0.0, but found std {}", cpp_number(std))));
    }
    let dtype = target.dtype();
    fill_random(target, "NormalBackward0", generator, |g, n, contiguous| g.normal(n, dtype, mean, std, contiguous))
}

/// `target.uniform_(from, to)` (float tensors).
pub fn uniform_(target: &Tensor, from: f64, to: f64, generator: Option<&SharedGenerator>) -> Result<()> {
    if from > to {
        return Err(Error::runtime(format!(
            "uniform_ expects to return a [from, to) range, but found from={} > to={}",
            cpp_number(from),
            cpp_number(to)
        )));
    }
    let dtype = target.dtype();
    fill_random(target, "UniformBackward0", generator, |g, n, _| g.uniform(n, dtype, from, to))
}

/// `randint(low, high, shape)` in `dtype`.
pub fn randint(
    low: i64,
    high: i64,
    shape: &[usize],
    dtype: DType,
    generator: Option<&SharedGenerator>,
) -> Result<Tensor> {
    if low >= high {
        return Err(Error::runtime(format!(
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )));
    }
    let values = with_generator(generator, |g| g.randint(crate::tensor::numel(shape), low, high));
    with_dtype!(dtype, T => Tensor::from_vec(values.into_iter().map(T::from_i64).collect::<Vec<T>>(), shape))
}

/// `randperm(n)` in `dtype`.
pub fn randperm(n: usize, dtype: DType, generator: Option<&SharedGenerator>) -> Result<Tensor> {
    let values = with_generator(generator, |g| g.randperm(n));
    with_dtype!(dtype, T => Tensor::from_vec(values.into_iter().map(T::from_i64).collect::<Vec<T>>(), &[n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_arange_is_exact_past_two_to_the_53() {
        let big = 1i64 << 62;
        assert_eq!(arange_i64(big, big + 3, 1).unwrap().to_vec::<i64>().unwrap(), vec![big, big + 1, big + 2]);
        assert_eq!(arange_i64(big, big + 3, 2).unwrap().to_vec::<i64>().unwrap(), vec![big, big + 2]);
        assert_eq!(arange_i64(10, 0, -3).unwrap().to_vec::<i64>().unwrap(), vec![10, 7, 4, 1]);
        assert_eq!(arange_i64(i64::MIN, i64::MIN + 2, 1).unwrap().to_vec::<i64>().unwrap(), vec![i64::MIN, i64::MIN + 1]);
        // spans past int64 wrap as PyTorch's C++ does
        assert_eq!(arange_i64(i64::MIN, i64::MAX, 1 << 62).unwrap().numel(), 0);
        assert_eq!(arange_i64(1, i64::MAX, 1 << 62).unwrap_err().message(), "invalid size, possible overflow?");
        assert_eq!(arange_i64(0, big, 1).unwrap_err().message(), format!("Storage size calculation overflowed with sizes=[{big}]"));
        assert_eq!(arange_i64(0, 5, 0).unwrap_err().message(), "step must be nonzero");
        assert_eq!(arange_i64(5, 0, 1).unwrap_err().message(), "upper bound and lower bound inconsistent with step sign");
        assert_eq!(arange(0.0, 5.0, 1.0, DType::Bool).unwrap_err().message(), "\"arange_cpu\" not implemented for 'Bool'");
    }

    #[test]
    fn arange_counts_like_pytorch() {
        assert_eq!(arange(0.0, 5.0, 1.0, DType::I64).unwrap().to_vec::<i64>().unwrap(), vec![0, 1, 2, 3, 4]);
        assert_eq!(arange(0.0, 1.0, 0.25, DType::F32).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 0.25, 0.5, 0.75]);
        // int64 truncates the bounds first; int32 counts with the original doubles
        assert_eq!(arange(0.0, 2.5, 1.0, DType::I64).unwrap().numel(), 2);
        assert_eq!(arange(0.0, 2.5, 1.0, DType::I32).unwrap().numel(), 3);
        assert_eq!(arange(10.0, 0.0, -3.0, DType::I64).unwrap().to_vec::<i64>().unwrap(), vec![10, 7, 4, 1]);
        assert_eq!(arange(0.0, 5.0, 0.0, DType::F32).unwrap_err().message(), "step must be nonzero");
        assert_eq!(
            arange(5.0, 0.0, 1.0, DType::F32).unwrap_err().message(),
            "upper bound and lower bound inconsistent with step sign"
        );
        assert_eq!(arange(0.0, f64::INFINITY, 1.0, DType::F32).unwrap_err().message(), "unsupported range: 0 -> inf");
    }

    #[test]
    fn linspace_hits_both_ends() {
        let v = linspace(-1.0, 1.0, 7, DType::F64).unwrap().to_vec::<f64>().unwrap();
        assert_eq!((v[0], v[6], v.len()), (-1.0, 1.0, 7));
        assert_eq!(linspace(0.0, 10.0, 5, DType::I64).unwrap().to_vec::<i64>().unwrap(), vec![0, 2, 5, 7, 10]);
        assert_eq!(linspace(3.0, 4.0, 1, DType::F32).unwrap().to_vec::<f32>().unwrap(), vec![3.0]);
        assert_eq!(linspace(0.0, 1.0, -1, DType::F32).unwrap_err().message(), "number of steps must be non-negative");
    }

    #[test]
    fn eye_is_rectangular() {
        let e = eye(2, Some(3), DType::F32).unwrap();
        assert_eq!(e.to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(eye(-1, None, DType::F32).unwrap_err().message(), "n must be greater or equal to 0, got -1");
    }

    #[test]
    fn random_fills_respect_views_and_errors() {
        let t = Tensor::zeros(&[4, 5], DType::F64);
        let view = t.view_with_layout(Layout { shape: vec![5, 4], strides: vec![1, 5], offset: 0 });
        let g: SharedGenerator = std::sync::Arc::new(parking_lot::Mutex::new(crate::random::Generator::new(3)));
        uniform_(&view, 2.0, 3.0, Some(&g)).unwrap();
        assert!(t.to_vec::<f64>().unwrap().iter().all(|v| (2.0..3.0).contains(v)));
        assert_eq!(t.version(), 1);
        // drawn in memory order: the base tensor holds the stream in row-major order
        let expected = crate::random::Generator::new(3).uniform(20, DType::F64, 2.0, 3.0);
        assert_eq!(t.to_vec::<f64>().unwrap(), expected);
        assert_eq!(normal_(&t, 0.0, -1.0, None).unwrap_err().message(), "normal expects std >= 0.0, but found std -1");
        assert_eq!(
            uniform_(&t, 2.0, 1.0, None).unwrap_err().message(),
            "uniform_ expects to return a [from, to) range, but found from=2 > to=1"
        );
        assert_eq!(
            randint(5, 3, &[2], DType::I64, None).unwrap_err().message(),
            "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"
        );
    }
}
