//! Fused kernels of normalisation and classification losses: layer norm forward/backward over
//! contiguous rows, and negative log-likelihood over (n, classes, positions). Sums run in f64.

use crate::tensor::Element;

/// Layer norm of `rows` rows of `width` elements: returns (y, mean, rstd) where
/// `y = (x - mean) * rstd * weight + bias` and `rstd = 1 / sqrt(var + eps)` (biased variance).
pub fn layer_norm<T: Element>(x: &[T], width: usize, weight: Option<&[T]>, bias: Option<&[T]>, eps: f64) -> (Vec<T>, Vec<T>, Vec<T>) {
    let rows = if width == 0 { 0 } else { x.len() / width };
    let mut y = vec![T::default(); x.len()];
    let mut stats = vec![(T::default(), T::default()); rows];
    let row = |(r, out): (usize, &mut [T]), stat: &mut (T, T)| {
        let xs = &x[r * width..(r + 1) * width];
        let mean = xs.iter().map(|v| v.to_f64()).sum::<f64>() / width as f64;
        let var = xs.iter().map(|v| (v.to_f64() - mean).powi(2)).sum::<f64>() / width as f64;
        let rstd = 1.0 / (var + eps).sqrt();
        for (k, (o, v)) in out.iter_mut().zip(xs).enumerate() {
            let mut z = (v.to_f64() - mean) * rstd;
            if let Some(w) = weight {
                z *= w[k].to_f64();
            }
            if let Some(b) = bias {
                z += b[k].to_f64();
            }
            *o = T::from_f64(z);
        }
        *stat = (T::from_f64(mean), T::from_f64(rstd));
    };
    if width > 0 {
        if super::parallel(x.len()) && rows > 1 {
            // Blocks of rows of about GRAIN elements: the pieces `cpu::split` may hand the pool.
            let per = (super::GRAIN / width).max(1);
            let pieces: Vec<_> = y.chunks_mut(per * width).zip(stats.chunks_mut(per)).enumerate().collect();
            super::split::for_pieces(pieces, |(b, (ys, ss))| {
                for (j, (a, s)) in ys.chunks_mut(width).zip(ss.iter_mut()).enumerate() {
                    row((b * per + j, a), s);
                }
            });
        } else {
            y.chunks_mut(width).enumerate().zip(stats.iter_mut()).for_each(|(a, s)| row(a, s));
        }
    }
    let (mean, rstd) = stats.into_iter().unzip();
    (y, mean, rstd)
}

/// The backward of [`layer_norm`]: with `xhat = (x - mean) * rstd` and `h = dy * weight`,
/// `dx = rstd * (h - mean(h) - xhat * mean(h * xhat))`, `dweight = sum_rows(dy * xhat)`,
/// `dbias = sum_rows(dy)`. Returns (dx, dweight, dbias) for the parts asked for.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn layer_norm_backward<T: Element>(
    dy: &[T],
    x: &[T],
    mean: &[T],
    rstd: &[T],
    weight: Option<&[T]>,
    width: usize,
    want: [bool; 3],
) -> (Option<Vec<T>>, Option<Vec<T>>, Option<Vec<T>>) {
    let rows = mean.len();
    let dx = want[0].then(|| {
        let mut dx = vec![T::default(); x.len()];
        let row = |(r, out): (usize, &mut [T])| {
            let (m, s) = (mean[r].to_f64(), rstd[r].to_f64());
            let (xs, gs) = (&x[r * width..(r + 1) * width], &dy[r * width..(r + 1) * width]);
            let h = |k: usize| gs[k].to_f64() * weight.map_or(1.0, |w| w[k].to_f64());
            let (mut sum_h, mut sum_hx) = (0.0, 0.0);
            for k in 0..width {
                let xhat = (xs[k].to_f64() - m) * s;
                sum_h += h(k);
                sum_hx += h(k) * xhat;
            }
            let (mh, mhx) = (sum_h / width as f64, sum_hx / width as f64);
            for (k, o) in out.iter_mut().enumerate() {
                let xhat = (xs[k].to_f64() - m) * s;
                *o = T::from_f64(s * (h(k) - mh - xhat * mhx));
            }
        };
        if width > 0 {
            if super::parallel(x.len()) && rows > 1 {
                let per = (super::GRAIN / width).max(1);
                super::split::for_pieces(dx.chunks_mut(per * width).enumerate().collect(), |(b, block)| {
                    block.chunks_mut(width).enumerate().for_each(|(j, a)| row((b * per + j, a)));
                });
            } else {
                dx.chunks_mut(width).enumerate().for_each(row);
            }
        }
        dx
    });
    let (dw, db) = if want[1] || want[2] {
        let mut dw = vec![0.0f64; width];
        let mut db = vec![0.0f64; width];
        for r in 0..rows {
            let (m, s) = (mean[r].to_f64(), rstd[r].to_f64());
            for k in 0..width {
                let g = dy[r * width + k].to_f64();
                dw[k] += g * (x[r * width + k].to_f64() - m) * s;
                db[k] += g;
            }
        }
        let cast = |v: Vec<f64>| v.into_iter().map(T::from_f64).collect::<Vec<T>>();
        (want[1].then(|| cast(dw)), want[2].then(|| cast(db)))
    } else {
        (None, None)
    };
    (dx, dw, db)
}

/// What [`nll_loss`] found: per-position losses (for reduction 'none'), their weighted sum, the
/// total weight of the counted targets, and the first out-of-range target if any.
pub struct Nll<T> {
    /// `-weight[t] * input[n, t, s]` per (n, s), 0 where ignored.
    pub losses: Vec<T>,
    /// Sum of the losses.
    pub sum: f64,
    /// Sum of `weight[t]` over targets not ignored.
    pub total_weight: f64,
}

/// Negative log-likelihood over input (n, classes, positions) and targets (n, positions).
/// Returns `Err(target)` for the first target outside `[0, classes)` that is not ignored.
pub fn nll_loss<T: Element>(input: &[T], target: &[i64], weight: Option<&[T]>, classes: usize, positions: usize, ignore_index: i64) -> Result<Nll<T>, i64> {
    let mut losses = vec![T::default(); target.len()];
    let (mut sum, mut total_weight) = (0.0, 0.0);
    for (k, &t) in target.iter().enumerate() {
        if t == ignore_index {
            continue;
        }
        if t < 0 || t as usize >= classes {
            return Err(t);
        }
        let (n, s) = (k / positions, k % positions);
        let w = weight.map_or(1.0, |w| w[t as usize].to_f64());
        let loss = -w * input[(n * classes + t as usize) * positions + s].to_f64();
        losses[k] = T::from_f64(loss);
        sum += loss;
        total_weight += w;
    }
    Ok(Nll { losses, sum, total_weight })
}

/// The derivative of the nll loss (before scaling by the incoming gradient): `-weight[t] * scale`
/// at (n, t, s) and 0 elsewhere, laid out like the input (n, classes, positions).
pub fn nll_loss_grad<T: Element>(target: &[i64], weight: Option<&[T]>, classes: usize, positions: usize, ignore_index: i64, scale: f64) -> Vec<T> {
    let mut d = vec![T::default(); target.len() * classes];
    for (k, &t) in target.iter().enumerate() {
        if t == ignore_index || t < 0 || t as usize >= classes {
            continue;
        }
        let (n, s) = (k / positions, k % positions);
        let w = weight.map_or(1.0, |w| w[t as usize].to_f64());
        d[(n * classes + t as usize) * positions + s] = T::from_f64(-w * scale);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::GRAIN;

    #[test]
    fn layer_norm_rows_have_zero_mean_unit_variance() {
        for &(rows, width) in &[(3, 5), (GRAIN / 7 + 3, 7)] {
            let x: Vec<f64> = (0..rows * width).map(|i| ((i * 13 % 17) as f64) - 3.0).collect();
            let (y, mean, rstd) = layer_norm(&x, width, None, None, 1e-5);
            assert_eq!(mean.len(), rows);
            assert_eq!(rstd.len(), rows);
            for r in 0..rows {
                let ys = &y[r * width..(r + 1) * width];
                let m: f64 = ys.iter().sum::<f64>() / width as f64;
                let v: f64 = ys.iter().map(|v| (v - m).powi(2)).sum::<f64>() / width as f64;
                assert!(m.abs() < 1e-9 && (v - 1.0).abs() < 1e-3, "row {r}: {m} {v}");
            }
        }
    }

    /// The gradient of sum(y * c) matches central differences.
    #[test]
    fn layer_norm_backward_matches_differences() {
        let width = 4;
        let x = vec![0.3, -1.2, 2.0, 0.7, 1.0, 1.5, -0.5, 0.0];
        let w = vec![0.5, 2.0, -1.0, 1.5];
        let c = vec![1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, 1.0];
        let loss = |x: &[f64]| layer_norm(x, width, Some(&w), None, 1e-5).0.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>();
        let (_, mean, rstd) = layer_norm(&x, width, Some(&w), None, 1e-5);
        let (dx, dw, db) = layer_norm_backward(&c, &x, &mean, &rstd, Some(&w), width, [true, true, true]);
        let dx = dx.unwrap();
        for k in 0..x.len() {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[k] += 1e-6;
            m[k] -= 1e-6;
            assert!((dx[k] - (loss(&p) - loss(&m)) / 2e-6).abs() < 1e-5);
        }
        assert_eq!(db.unwrap(), vec![0.0, -1.75, 2.5, 4.0]);
        assert_eq!(dw.unwrap().len(), width);
    }

    #[test]
    fn nll_picks_targets_and_reports_bad_ones() {
        // 2 samples, 3 classes, 1 position.
        let input = vec![-1.0f64, -2.0, -3.0, -0.5, -1.5, -2.5];
        let r = nll_loss(&input, &[2, 0], None, 3, 1, -100).unwrap();
        assert_eq!(r.losses, vec![3.0, 0.5]);
        assert_eq!((r.sum, r.total_weight), (3.5, 2.0));
        let w = [1.0, 2.0, 4.0];
        let r = nll_loss(&input, &[2, -100], Some(&w), 3, 1, -100).unwrap();
        assert_eq!((r.sum, r.total_weight), (12.0, 4.0));
        assert_eq!(nll_loss(&input, &[3, 0], None, 3, 1, -100).err(), Some(3));
        let d = nll_loss_grad::<f64>(&[2, 0], None, 3, 1, -100, 0.5);
        assert_eq!(d, vec![0.0, 0.0, -0.5, -0.5, 0.0, 0.0]);
    }

    #[test]
    fn forced_splits_give_the_bits_of_one_thread() {
        use crate::cpu::split::with_forced_split;
        for (rows, width) in [(GRAIN / 50 + 3, 50), (9, 5000), (1, GRAIN + 1)] {
            let x: Vec<f32> = (0..rows * width).map(|i| ((i * 7919) % 1013) as f32 * 0.01 - 5.0).collect();
            let w: Vec<f32> = (0..width).map(|i| 1.0 + (i % 7) as f32 * 0.1).collect();
            let run = || {
                let (y, m, r) = layer_norm(&x, width, Some(&w), None, 1e-5);
                let (dx, dw, db) = layer_norm_backward(&x, &x, &m, &r, Some(&w), width, [true, true, true]);
                let mut out = y;
                out.extend(dx.unwrap());
                out.extend(dw.unwrap());
                out.extend(db.unwrap());
                out.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
            };
            assert_eq!(with_forced_split(1, run), with_forced_split(2, run), "{rows}x{width}");
        }
    }
}
