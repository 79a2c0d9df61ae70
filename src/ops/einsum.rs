//! `torch.einsum`: permutes and sums for one operand, one batched product (bmm) per pair of
//! operands (contracted left to right), as PyTorch's einsum does; `...` and size-1 dims broadcast (so the nodes match: ViewBackward0
//! after a contraction, MulBackward0 for an outer product, PermuteBackward0 for a transpose).

use super::backward::backward_fn;
use super::linalg::{bmm, permute};
use super::record;
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::ops::{mul, reshape, sum_dims};
use crate::tensor::{contiguous_strides, Layout, Tensor};
use crate::with_dtype;

/// The parsed subscripts: one letter list per operand, and the output letters. The dims an
/// ellipsis covers get synthetic letters (outside [a-zA-Z]), shared right-aligned across operands
/// so that they broadcast as PyTorch's `...` dims do.
struct Equation {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
}

/// The synthetic letter of broadcast ellipsis dim `i`.
fn ellipsis_letter(i: usize) -> char {
    char::from_u32(0x100 + i as u32).expect("a valid char")
}

fn is_ellipsis_letter(c: char) -> bool {
    c as u32 >= 0x100
}

/// Splits one subscript string into its letters and where its ellipsis (if any) stands; `who`
/// names it in errors ("operand 0", "output").
fn split_ellipsis(spec: &str, who: &str, output: bool) -> Result<(Vec<char>, Option<usize>)> {
    let chars: Vec<char> = spec.chars().collect();
    let (mut letters, mut at, mut i) = (Vec::new(), None, 0);
    while i < chars.len() {
        if chars[i] == '.' {
            let suffix = if output { " (...)" } else { "" };
            if at.is_some() {
                return Err(Error::runtime(format!("einsum(): found '.' for {who} for which an ellipsis was already found")));
            }
            if chars.get(i + 1) != Some(&'.') || chars.get(i + 2) != Some(&'.') {
                return Err(Error::runtime(format!("einsum(): found '.' for {who} that is not part of any ellipsis{suffix}")));
            }
            at = Some(letters.len());
            i += 3;
        } else {
            letters.push(chars[i]);
            i += 1;
        }
    }
    Ok((letters, at))
}

fn parse(equation: &str, operands: &[Tensor]) -> Result<Equation> {
    let equation: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match equation.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (equation.as_str(), None),
    };
    let specs: Vec<&str> = lhs.split(',').collect();
    if specs.len() > operands.len() {
        return Err(Error::runtime("einsum(): fewer operands were provided than specified in the equation"));
    }
    if specs.len() < operands.len() {
        return Err(Error::runtime("einsum(): more operands were provided than specified in the equation"));
    }
    let mut parsed = Vec::with_capacity(specs.len());
    for (i, (spec, t)) in specs.iter().zip(operands).enumerate() {
        let (letters, at) = split_ellipsis(spec, &format!("operand {i}"), false)?;
        if let Some(&c) = letters.iter().find(|c| !c.is_ascii_alphabetic()) {
            return Err(Error::runtime(format!("einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]", lhs.find(c).unwrap_or(0))));
        }
        if at.is_some() && letters.len() > t.dim() {
            return Err(Error::runtime(format!(
                "einsum(): the number of subscripts in the equation ({}) is more than the number of dimensions ({}) for operand {i}",
                letters.len(),
                t.dim()
            )));
        }
        if at.is_none() && letters.len() != t.dim() {
            return Err(Error::runtime(format!(
                "einsum(): the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand {i} and no ellipsis was given",
                letters.len(),
                t.dim()
            )));
        }
        parsed.push((letters, at, t.dim()));
    }
    // Every operand's ellipsis covers its extra dims; together they broadcast right-aligned.
    let widths: Vec<usize> = parsed.iter().map(|(l, at, nd)| if at.is_some() { nd - l.len() } else { 0 }).collect();
    let width = widths.iter().copied().max().unwrap_or(0);
    let ellipsis: Vec<char> = (0..width).map(ellipsis_letter).collect();
    let inputs: Vec<Vec<char>> = parsed
        .into_iter()
        .zip(&widths)
        .map(|((mut letters, at, _), &w)| {
            if let Some(at) = at {
                letters.splice(at..at, ellipsis[width - w..].iter().copied());
            }
            letters
        })
        .collect();
    let output: Vec<char> = match rhs {
        Some(r) => {
            let (mut out, at) = split_ellipsis(r, "output", true)?;
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
            // Without `...` in the output, the ellipsis dims are summed.
            if let Some(at) = at {
                out.splice(at..at, ellipsis.iter().copied());
            }
            out
        }
        None => {
            // Implicit output: the ellipsis dims, then the letters seen exactly once, in
            // alphabetical order.
            let all: Vec<char> = inputs.iter().flatten().copied().filter(|&c| !is_ellipsis_letter(c)).collect();
            let mut once: Vec<char> = all.iter().copied().filter(|c| all.iter().filter(|d| *d == c).count() == 1).collect();
            once.sort_by_key(|&c| (c.is_ascii_lowercase(), c));
            ellipsis.iter().copied().chain(once).collect()
        }
    };
    Ok(Equation { inputs, output })
}

/// Checks that each letter has one size across operands, a size of 1 broadcasting against any
/// other (as PyTorch); returns the broadcast size of every letter.
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
            match seen.iter_mut().find(|(l, _)| *l == c) {
                Some((_, size)) if *size != shape[d] && *size != 1 && shape[d] != 1 => {
                    if is_ellipsis_letter(c) {
                        // Index within this operand's ellipsis dims (they end its leading run).
                        let first = letters.iter().position(|&l| is_ellipsis_letter(l)).unwrap_or(0);
                        return Err(Error::runtime(format!(
                            "einsum(): dimension {} covered by ellipsis in operand {i}has size {} which does not broadcast with previously seen ellipsis with size {size} for the respective dimension",
                            d - first,
                            shape[d]
                        )));
                    }
                    return Err(Error::runtime(format!(
                        "einsum(): subscript {c} has size {} for operand {i} which does not broadcast with previously seen size {size}",
                        shape[d]
                    )));
                }
                Some((_, size)) => *size = (*size).max(shape[d]),
                None => seen.push((c, shape[d])),
            }
        }
    }
    Ok(seen)
}

/// Drops the size-1 dims of `t` whose letter has a larger size elsewhere (they broadcast).
fn drop_broadcast_dims(t: &Tensor, letters: &[char], size: impl Fn(char) -> usize) -> Result<(Tensor, Vec<char>)> {
    let shape = t.shape();
    let keep: Vec<bool> = letters.iter().zip(&shape).map(|(&c, &n)| !(n == 1 && size(c) > 1)).collect();
    if keep.iter().all(|&k| k) {
        return Ok((t.clone(), letters.to_vec()));
    }
    let new_shape: Vec<i64> = shape.iter().zip(&keep).filter(|(_, &k)| k).map(|(&n, _)| n as i64).collect();
    let new_letters = letters.iter().zip(&keep).filter(|(_, &k)| k).map(|(&c, _)| c).collect();
    Ok((reshape(t, &new_shape)?, new_letters))
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

/// `torch.einsum(equation, *operands)`.
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
    let mut operands = Vec::with_capacity(taken.len());
    for (letters, t) in eq.inputs.iter_mut().zip(&taken) {
        let (t, kept) = drop_broadcast_dims(t, letters, size)?;
        *letters = kept;
        operands.push(t);
    }
    match &operands[..] {
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
        _ => {
            // Left to right: each product keeps the letters still needed by a later operand or
            // the output.
            let (mut acc, mut acc_letters) = (operands[0].clone(), eq.inputs[0].clone());
            for k in 1..operands.len() {
                let needed: Vec<char> = if k + 1 == operands.len() {
                    eq.output.clone()
                } else {
                    let mut letters: Vec<char> = Vec::new();
                    for &c in acc_letters.iter().chain(&eq.inputs[k]) {
                        let later = eq.output.contains(&c) || eq.inputs[k + 1..].iter().any(|l| l.contains(&c));
                        if later && !letters.contains(&c) {
                            letters.push(c);
                        }
                    }
                    letters
                };
                acc = contract_two(&acc, &acc_letters, &operands[k], &eq.inputs[k], &needed, &size)?;
                acc_letters = needed;
            }
            Ok(acc)
        }
    }
}

/// The product of two operands summed over their shared letters missing from `output` (one
/// batched matmul, as PyTorch's einsum), laid out as `output`.
fn contract_two(a: &Tensor, la: &[char], b: &Tensor, lb: &[char], output: &[char], size: &impl Fn(char) -> usize) -> Result<Tensor> {
    let (a, la) = sum_private(a, la, |c| lb.contains(&c) || output.contains(&c))?;
    let (b, lb) = sum_private(b, lb, |c| la.contains(&c) || output.contains(&c))?;
    // Group the letters: batch (both and output), kept (one side and output), contracted
    // (both, not output). Batch and kept letters keep their output order.
    let batch: Vec<char> = output.iter().copied().filter(|c| la.contains(c) && lb.contains(c)).collect();
    let kept_a: Vec<char> = output.iter().copied().filter(|c| la.contains(c) && !lb.contains(c)).collect();
    let kept_b: Vec<char> = output.iter().copied().filter(|c| lb.contains(c) && !la.contains(c)).collect();
    let contracted: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && !output.contains(c)).collect();
    // Put the operand whose kept letters come first in the output on the left, so the
    // product comes out in output order whenever the output lists groups in sequence.
    let swap = match (kept_a.first(), kept_b.first()) {
        (Some(x), Some(y)) => positions(output, &[*y]) < positions(output, &[*x]),
        _ => false,
    };
    let (left, ll, kl, right, lr, kr) =
        if swap { (&b, &lb, &kept_b, &a, &la, &kept_a) } else { (&a, &la, &kept_a, &b, &lb, &kept_b) };
    let count = |letters: &[char]| letters.iter().map(|&c| size(c)).product::<usize>() as i64;
    let result_letters: Vec<char> = batch.iter().chain(kl).chain(kr).copied().collect();
    if contracted.is_empty() {
        // No sum over a shared letter: one broadcasting product of the operands laid out in
        // output order (size 1 where a letter is missing), as PyTorch's MulBackward0.
        let align = |t: &Tensor, letters: &[char]| -> Result<Tensor> {
            let order: Vec<char> = output.iter().copied().filter(|c| letters.contains(c)).collect();
            let shape: Vec<i64> = output.iter().map(|&c| if letters.contains(&c) { size(c) as i64 } else { 1 }).collect();
            reshape_if_needed(&permute_if_needed(t, letters, &order)?, &shape)
        };
        return mul(&align(&a, &la)?, &align(&b, &lb)?);
    }
    let order_l: Vec<char> = batch.iter().chain(kl).chain(&contracted).copied().collect();
    let order_r: Vec<char> = batch.iter().chain(&contracted).chain(kr).copied().collect();
    let pl = permute_if_needed(left, ll, &order_l)?;
    let pr = permute_if_needed(right, lr, &order_r)?;
    let (nb, m, k, n) = (count(&batch), count(kl), count(&contracted), count(kr));
    let product = bmm(&reshape(&pl, &[nb, m, k])?, &reshape(&pr, &[nb, k, n])?)?;
    let shape: Vec<i64> = result_letters.iter().map(|&c| size(c) as i64).collect();
    let out = reshape(&product, &shape)?;
    let perm = positions(&result_letters, output);
    if is_identity(&perm) {
        Ok(out)
    } else {
        // PyTorch's einsum ends a contraction with a view (dropping the summed size-1 dims)
        // after its permute: the same node sequence here.
        let permuted = permute(&out, &perm)?;
        super::view(&permuted, &permuted.shape().iter().map(|&n| n as i64).collect::<Vec<_>>())
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
    fn ellipsis_and_size_one_dims_broadcast_and_many_operands_contract_left_to_right() {
        let a = Tensor::ones(&[2, 1, 3, 4], DType::F64);
        let b = Tensor::ones(&[5, 4, 2], DType::F64);
        let out = einsum("...ij,...jk->...ik", &[a.clone(), b.clone()]).unwrap();
        assert_eq!(out.shape(), vec![2, 5, 3, 2]);
        assert!(out.to_vec::<f64>().unwrap().iter().all(|&v| v == 4.0));
        assert_eq!(einsum("...ij,...jk->ik", &[a, b]).unwrap().to_vec::<f64>().unwrap(), vec![40.0; 6]);
        let row = t(&[1.0, 2.0, 3.0], &[1, 3]);
        let m = t(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0], &[2, 3]);
        assert_eq!(einsum("ij,ij->ij", &[m.clone(), row]).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]);
        let v = t(&[1.0, 1.0], &[2]);
        let w = t(&[1.0, 0.0, 2.0], &[3]);
        // v^T m w = (1+2)*1 + (1+2)*2 = 9
        assert_eq!(einsum("i,ij,j->", &[v, m, w]).unwrap().to_vec::<f64>().unwrap(), vec![9.0]);
    }

    #[test]
    fn bad_equations() {
        let a = Tensor::ones(&[2, 3], DType::F32);
        let err = einsum("ij,jk->ik", &[a.clone(), a.clone()]).unwrap_err();
        assert_eq!(err.message(), "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3");
        let err = einsum("ij,jk->ik", &[a]).unwrap_err();
        assert_eq!(err.message(), "einsum(): fewer operands were provided than specified in the equation");
        let err = einsum("..i", &[Tensor::ones(&[2], DType::F32)]).unwrap_err();
        assert_eq!(err.message(), "einsum(): found '.' for operand 0 that is not part of any ellipsis");
    }
}
