//! `torch.einsum` for one or two operands without ellipsis: permutes and sums for one operand,
//! one batched product (bmm) for two, as PyTorch's einsum does (so the nodes match: ViewBackward0
//! after a contraction, MulBackward0 for an outer product, PermuteBackward0 for a transpose).

use super::backward::backward_fn;
use super::linalg::{bmm, permute};
use super::record;
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::ops::{mul, reshape, sum_dims};
use crate::tensor::{contiguous_strides, Layout, Tensor};
use crate::with_dtype;

/// The parsed subscripts: one letter list per operand, and the output letters.
struct Equation {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
}

fn parse(equation: &str, operands: &[Tensor]) -> Result<Equation> {
    let equation: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match equation.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (equation.as_str(), None),
    };
    if lhs.contains('.') || rhs.is_some_and(|r| r.contains('.')) {
        return Err(Error::runtime("einsum(): ellipsis ('...') is not supported by rustgrad"));
    }
    let inputs: Vec<Vec<char>> = lhs.split(',').map(|s| s.chars().collect()).collect();
    if inputs.len() > operands.len() {
        return Err(Error::runtime("einsum(): fewer operands were provided than specified in the equation"));
    }
    if inputs.len() < operands.len() {
        return Err(Error::runtime("einsum(): more operands were provided than specified in the equation"));
    }
    for (i, (letters, t)) in inputs.iter().zip(operands).enumerate() {
        if let Some(&c) = letters.iter().find(|c| !c.is_ascii_alphabetic()) {
            return Err(Error::runtime(format!("einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]", lhs.find(c).unwrap_or(0))));
        }
        if letters.len() != t.dim() {
            return Err(Error::runtime(format!(
                "einsum(): the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand {i} and no ellipsis was given",
                letters.len(),
                t.dim()
            )));
        }
    }
    let output: Vec<char> = match rhs {
        Some(r) => {
            let out: Vec<char> = r.chars().collect();
            for (i, c) in out.iter().enumerate() {
                if out[..i].contains(c) {
                    return Err(Error::runtime(format!("einsum(): output subscript {c} appears more than once in the output")));
                }
                if !inputs.iter().any(|l| l.contains(c)) {
                    return Err(Error::runtime(format!(
                        "einsum(): output subscript {c} does not appear in the equation for any input operand"
                    )));
                }
            }
            out
        }
        None => {
            // Implicit output: the letters seen exactly once, in alphabetical order.
            let all: Vec<char> = inputs.iter().flatten().copied().collect();
            let mut once: Vec<char> = all.iter().copied().filter(|c| all.iter().filter(|d| *d == c).count() == 1).collect();
            once.sort_by_key(|&c| (c.is_ascii_lowercase(), c));
            once
        }
    };
    Ok(Equation { inputs, output })
}

/// Checks that each letter has one size across operands; returns the size of letter `c`.
fn sizes(eq: &Equation, operands: &[Tensor]) -> Result<Vec<(char, usize)>> {
    let mut seen: Vec<(char, usize)> = Vec::new();
    for (i, (letters, t)) in eq.inputs.iter().zip(operands).enumerate() {
        let shape = t.shape();
        for (d, &c) in letters.iter().enumerate() {
            if let Some(first) = letters[..d].iter().position(|&l| l == c) {
                if shape[first] != shape[d] {
                    return Err(Error::runtime(format!(
                        "einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, {} != {}",
                        shape[d], shape[first]
                    )));
                }
            }
            match seen.iter().find(|(l, _)| *l == c) {
                Some(&(_, size)) if size != shape[d] => {
                    return Err(Error::runtime(format!(
                        "einsum(): subscript {c} has size {} for operand {i} which does not broadcast with previously seen size {size}",
                        shape[d]
                    )));
                }
                Some(_) => {}
                None => seen.push((c, shape[d])),
            }
        }
    }
    Ok(seen)
}

/// Sums out the letters of one operand that appear nowhere else (nor in the output).
fn sum_private(t: &Tensor, letters: &[char], keep: impl Fn(char) -> bool) -> Result<(Tensor, Vec<char>)> {
    let dims: Vec<i64> = letters.iter().enumerate().filter(|(_, &c)| !keep(c)).map(|(d, _)| d as i64).collect();
    if dims.is_empty() {
        return Ok((t.clone(), letters.to_vec()));
    }
    let rest = letters.iter().copied().filter(|&c| keep(c)).collect();
    Ok((sum_dims(t, &dims, false)?, rest))
}

fn positions(letters: &[char], order: &[char]) -> Vec<usize> {
    order.iter().map(|c| letters.iter().position(|l| l == c).expect("letter present")).collect()
}

fn is_identity(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, &p)| i == p)
}

/// `torch.einsum(equation, *operands)` for one or two operands.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let eq = parse(equation, operands)?;
    let size_of = sizes(&eq, operands)?;
    let size = |c: char| size_of.iter().find(|(l, _)| *l == c).map(|&(_, s)| s).expect("seen");
    // A letter repeated within one operand takes that operand's diagonal ('ii->i').
    let mut eq = eq;
    let mut taken = Vec::with_capacity(operands.len());
    for (letters, t) in eq.inputs.iter_mut().zip(operands) {
        let (d, unique) = diagonal(t, letters)?;
        *letters = unique;
        taken.push(d);
    }
    let operands = &taken[..];
    match operands {
        [t] => {
            let summed = eq.inputs[0].len() != eq.output.len();
            let (t, letters) = sum_private(t, &eq.inputs[0], |c| eq.output.contains(&c))?;
            let perm = positions(&letters, &eq.output);
            // PyTorch permutes even for the identity ('ij->ij'), but not after a sum ('ij->j').
            if summed && is_identity(&perm) {
                Ok(t)
            } else {
                permute(&t, &perm)
            }
        }
        [a, b] => {
            let (la, lb) = (&eq.inputs[0], &eq.inputs[1]);
            let (a, la) = sum_private(a, la, |c| lb.contains(&c) || eq.output.contains(&c))?;
            let (b, lb) = sum_private(b, lb, |c| la.contains(&c) || eq.output.contains(&c))?;
            // Group the letters: batch (both and output), kept (one side and output), contracted
            // (both, not output). Batch and kept letters keep their output order.
            let batch: Vec<char> = eq.output.iter().copied().filter(|c| la.contains(c) && lb.contains(c)).collect();
            let kept_a: Vec<char> = eq.output.iter().copied().filter(|c| la.contains(c) && !lb.contains(c)).collect();
            let kept_b: Vec<char> = eq.output.iter().copied().filter(|c| lb.contains(c) && !la.contains(c)).collect();
            let contracted: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && !eq.output.contains(c)).collect();
            // Put the operand whose kept letters come first in the output on the left, so the
            // product comes out in output order whenever the output lists groups in sequence.
            let swap = match (kept_a.first(), kept_b.first()) {
                (Some(x), Some(y)) => positions(&eq.output, &[*y]) < positions(&eq.output, &[*x]),
                _ => false,
            };
            let (left, ll, kl, right, lr, kr) =
                if swap { (&b, &lb, &kept_b, &a, &la, &kept_a) } else { (&a, &la, &kept_a, &b, &lb, &kept_b) };
            let count = |letters: &[char]| letters.iter().map(|&c| size(c)).product::<usize>() as i64;
            let result_letters: Vec<char> = batch.iter().chain(kl).chain(kr).copied().collect();
            let out = if contracted.is_empty() {
                // No sum over a shared letter: a broadcasting product.
                let order_l: Vec<char> = batch.iter().chain(kl).copied().collect();
                let order_r: Vec<char> = batch.iter().chain(kr).copied().collect();
                let pl = permute_if_needed(left, ll, &order_l)?;
                let pr = permute_if_needed(right, lr, &order_r)?;
                let mut shape_l: Vec<i64> = order_l.iter().map(|&c| size(c) as i64).collect();
                shape_l.extend(std::iter::repeat_n(1, kr.len()));
                let mut shape_r: Vec<i64> = batch.iter().map(|&c| size(c) as i64).collect();
                shape_r.extend(std::iter::repeat_n(1, kl.len()));
                shape_r.extend(kr.iter().map(|&c| size(c) as i64));
                mul(&reshape_if_needed(&pl, &shape_l)?, &reshape_if_needed(&pr, &shape_r)?)?
            } else {
                let order_l: Vec<char> = batch.iter().chain(kl).chain(&contracted).copied().collect();
                let order_r: Vec<char> = batch.iter().chain(&contracted).chain(kr).copied().collect();
                let pl = permute_if_needed(left, ll, &order_l)?;
                let pr = permute_if_needed(right, lr, &order_r)?;
                let (nb, m, k, n) = (count(&batch), count(kl), count(&contracted), count(kr));
                let product = bmm(&reshape(&pl, &[nb, m, k])?, &reshape(&pr, &[nb, k, n])?)?;
                let shape: Vec<i64> = result_letters.iter().map(|&c| size(c) as i64).collect();
                reshape(&product, &shape)?
            };
            let perm = positions(&result_letters, &eq.output);
            if is_identity(&perm) {
                Ok(out)
            } else {
                permute(&out, &perm)
            }
        }
        _ => Err(Error::runtime("einsum(): rustgrad supports one or two operands")),
    }
}

/// The layout viewing `layout` with each repeated letter's dims merged into one (the diagonal):
/// one dim per distinct letter, in first-appearance order, whose stride sums the merged strides.
fn merged_layout(layout: &Layout, letters: &[char]) -> (Layout, Vec<char>) {
    let mut unique: Vec<char> = Vec::new();
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    for (d, &c) in letters.iter().enumerate() {
        match unique.iter().position(|&u| u == c) {
            Some(i) => strides[i] += layout.strides[d],
            None => {
                unique.push(c);
                shape.push(layout.shape[d]);
                strides.push(layout.strides[d]);
            }
        }
    }
    (Layout { shape, strides, offset: layout.offset }, unique)
}

/// The diagonal view of `t` over repeated letters (the tensor itself when none repeat).
fn diagonal(t: &Tensor, letters: &[char]) -> Result<(Tensor, Vec<char>)> {
    let (layout, unique) = merged_layout(&t.data().layout, letters);
    if unique.len() == letters.len() {
        return Ok((t.clone(), unique));
    }
    let out = t.view_with_layout(layout);
    let (shape, letters) = (t.shape(), letters.to_vec());
    record(&[t], &[&out], || {
        // d diagonal(t) = grad written on the diagonal of zeros
        backward_fn("DiagonalBackward0", vec![], move |_, _, g| Ok(vec![Some(embed_diagonal(&g[0], &shape, &letters)?)]))
    })?;
    Ok((out, unique))
}

/// Zeros of `shape` with `t` written on the diagonal that `letters` describes.
fn embed_diagonal(t: &Tensor, shape: &[usize], letters: &[char]) -> Result<Tensor> {
    let (layout, _) = merged_layout(&Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }, letters);
    let out = with_dtype!(t.dtype(), T => {
        let mut values = vec![T::default(); shape.iter().product()];
        scatter_into(&mut values, &layout, &t.to_vec::<T>()?);
        Tensor::from_vec(values, shape)?
    });
    let letters = letters.to_vec();
    record(&[t], &[&out], || {
        // d embed(t) = the diagonal of grad
        backward_fn("DiagonalBackwardBackward0", vec![], move |_, _, g| Ok(vec![Some(diagonal(&g[0], &letters)?.0)]))
    })?;
    Ok(out)
}

fn permute_if_needed(t: &Tensor, letters: &[char], order: &[char]) -> Result<Tensor> {
    let perm = positions(letters, order);
    if is_identity(&perm) {
        Ok(t.clone())
    } else {
        permute(t, &perm)
    }
}

fn reshape_if_needed(t: &Tensor, shape: &[i64]) -> Result<Tensor> {
    if t.shape().iter().map(|&d| d as i64).eq(shape.iter().copied()) {
        Ok(t.clone())
    } else {
        reshape(t, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn common_patterns() {
        let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = t(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
        assert_eq!(einsum("ij,jk->ik", &[a.clone(), b.clone()]).unwrap().to_vec::<f64>().unwrap(), vec![4.0, 5.0, 10.0, 11.0]);
        assert_eq!(einsum("ij,jk->ki", &[a.clone(), b.clone()]).unwrap().to_vec::<f64>().unwrap(), vec![4.0, 10.0, 5.0, 11.0]);
        assert_eq!(einsum("ij,ij->", &[a.clone(), a.clone()]).unwrap().to_vec::<f64>().unwrap(), vec![91.0]);
        assert_eq!(einsum("ij->ji", std::slice::from_ref(&a)).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(einsum("ij->j", std::slice::from_ref(&a)).unwrap().to_vec::<f64>().unwrap(), vec![5.0, 7.0, 9.0]);
        let v = t(&[1.0, 2.0], &[2]);
        let w = t(&[1.0, 10.0, 100.0], &[3]);
        assert_eq!(einsum("i,j->ij", &[v.clone(), w.clone()]).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
        assert_eq!(einsum("i,i->", &[v.clone(), v]).unwrap().to_vec::<f64>().unwrap(), vec![5.0]);
        let sq = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
        assert_eq!(einsum("ii->i", std::slice::from_ref(&sq)).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 4.0]);
        assert_eq!(einsum("ii->", std::slice::from_ref(&sq)).unwrap().to_vec::<f64>().unwrap(), vec![5.0]);
        let bat = Tensor::ones(&[4, 2, 3], DType::F64);
        let bat2 = Tensor::ones(&[4, 3, 5], DType::F64);
        assert_eq!(einsum("bij,bjk->bik", &[bat, bat2]).unwrap().shape(), vec![4, 2, 5]);
    }

    #[test]
    fn bad_equations() {
        let a = Tensor::ones(&[2, 3], DType::F32);
        let err = einsum("ij,jk->ik", &[a.clone(), a.clone()]).unwrap_err();
        assert_eq!(err.message(), "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3");
        let err = einsum("ij,jk->ik", &[a]).unwrap_err();
        assert_eq!(err.message(), "einsum(): fewer operands were provided than specified in the equation");
    }
}
