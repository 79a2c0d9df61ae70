//! Fused update kernels: one pass over a parameter, its gradient and its state buffers, on plain
//! slices (contiguous memory), in parallel above [`GRAIN`](crate::cpu::GRAIN).
//!
//! Each kernel performs PyTorch's single-tensor update (`torch/optim/<name>.py`,
//! `_single_tensor_<name>`) element by element, in the same order of operations and with the
//! hyperparameters rounded to the element type first, as ATen's CPU kernels round a Python scalar
//! to `float` for a float32 tensor. ATen's `add(a, b, alpha)` is `a + alpha * b`,
//! `addcmul(s, a, b, value)` is `s + value * a * b`, `addcdiv(s, a, b, value)` is
//! `s + value * a / b`, and `lerp(a, b, w)` is `a + w * (b - a)` for `|w| < 0.5`, else
//! `b - (b - a) * (1 - w)`.

use num_traits::Float;

use super::lanes::par_lanes;
use crate::tensor::Element;

/// A floating element type the kernels run on (float32, float64).
pub trait Real: Element + Float {}
impl Real for f32 {}
impl Real for f64 {}

/// Casts a Python-double hyperparameter to the element type, as ATen does with a scalar.
#[inline(always)]
fn c<T: Real>(v: f64) -> T {
    T::from_f64(v)
}

/// `torch.lerp(a, b, w)` with ATen's two formulas (the second keeps `w` near 1 exact).
#[derive(Clone, Copy)]
struct Lerp<T> {
    w: T,
    one_minus_w: T,
    small: bool,
}

impl<T: Real> Lerp<T> {
    fn new(w: f64) -> Self {
        let w: T = c(w);
        Lerp { w, one_minus_w: <T as Element>::one() - w, small: w.abs() < c(0.5) }
    }
    #[inline(always)]
    fn apply(self, a: T, b: T) -> T {
        if self.small {
            a + self.w * (b - a)
        } else {
            b - (b - a) * self.one_minus_w
        }
    }
}

/// `torch.maximum`: NaN in either operand gives NaN.
#[inline(always)]
fn maximum<T: Real>(a: T, b: T) -> T {
    if a.is_nan() || a > b {
        a
    } else {
        b
    }
}

/// SGD hyperparameters of one param group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdHyper {
    /// learning rate
    pub lr: f64,
    /// momentum factor (0: no buffer)
    pub momentum: f64,
    /// dampening of the gradient added to the buffer
    pub dampening: f64,
    /// L2 penalty added to the gradient
    pub weight_decay: f64,
    /// Nesterov momentum
    pub nesterov: bool,
    /// ascend instead of descend
    pub maximize: bool,
}

/// One SGD step. `buf` is the momentum buffer (required when `momentum != 0`); with `init_buf`
/// it is written with the gradient (PyTorch's first step clones it, without dampening).
pub fn sgd<T: Real>(p: &mut [T], g: &[T], buf: Option<&mut [T]>, init_buf: bool, h: &SgdHyper) {
    let n = p.len();
    let (wd, mom, damp, neg_lr): (T, T, T, T) = (c(h.weight_decay), c(h.momentum), c(1.0 - h.dampening), c(-h.lr));
    let (use_wd, maximize, nesterov) = (h.weight_decay != 0.0, h.maximize, h.nesterov);
    let grad = move |g: T, p: T| {
        let g = if maximize { -g } else { g };
        if use_wd {
            g + wd * p
        } else {
            g
        }
    };
    match buf {
        Some(buf) if h.momentum != 0.0 => par_lanes(n, (p, g, buf), &|(p, g, buf): (&mut [T], &[T], &mut [T])| {
            for ((p, &g), b) in p.iter_mut().zip(g).zip(buf.iter_mut()) {
                let d = grad(g, *p);
                *b = if init_buf { d } else { *b * mom + damp * d };
                let d = if nesterov { d + mom * *b } else { *b };
                *p = *p + neg_lr * d;
            }
        }),
        _ => par_lanes(n, (p, g), &|(p, g): (&mut [T], &[T])| {
            for (p, &g) in p.iter_mut().zip(g) {
                let d = grad(g, *p);
                *p = *p + neg_lr * d;
            }
        }),
    }
}

/// Adam / AdamW hyperparameters of one param group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamHyper {
    /// learning rate
    pub lr: f64,
    /// first-moment decay
    pub beta1: f64,
    /// second-moment decay
    pub beta2: f64,
    /// term added to the denominator (after the bias correction)
    pub eps: f64,
    /// weight decay: an L2 term in the gradient, or with `decoupled` a shrink of the parameter
    pub weight_decay: f64,
    /// keep the running maximum of the second moment
    pub amsgrad: bool,
    /// ascend instead of descend
    pub maximize: bool,
    /// AdamW: `p *= 1 - lr * weight_decay` instead of the L2 term
    pub decoupled_weight_decay: bool,
}

/// One Adam step at step count `step` (already incremented: 1 on the first step).
pub fn adam<T: Real>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: Option<&mut [T]>, step: f64, h: &AdamHyper) {
    let n = p.len();
    let bias_correction1 = 1.0 - h.beta1.powf(step);
    let bias_correction2 = 1.0 - h.beta2.powf(step);
    let step_size = h.lr / bias_correction1;
    let (wd, decay): (T, T) = (c(h.weight_decay), c(1.0 - h.lr * h.weight_decay));
    let (beta2, one_minus_beta2): (T, T) = (c(h.beta2), c(1.0 - h.beta2));
    let (bc2_sqrt, eps, neg_step_size): (T, T, T) = (c(bias_correction2.sqrt()), c(h.eps), c(-step_size));
    let lerp = Lerp::<T>::new(1.0 - h.beta1);
    let coupled = h.weight_decay != 0.0 && !h.decoupled_weight_decay;
    let decoupled = h.weight_decay != 0.0 && h.decoupled_weight_decay;
    let maximize = h.maximize;
    // Everything up to the second moment; returns (p, m, v, g).
    let moments = move |p: T, g: T, m: T, v: T| {
        let g = if maximize { -g } else { g };
        let p = if decoupled { p * decay } else { p };
        let g = if coupled { g + wd * p } else { g };
        let m = lerp.apply(m, g);
        let v = v * beta2 + one_minus_beta2 * g * g;
        (p, m, v)
    };
    let update = move |p: T, m: T, vhat: T| p + neg_step_size * m / (vhat.sqrt() / bc2_sqrt + eps);
    match vmax {
        Some(vmax) if h.amsgrad => par_lanes(
            n,
            (p, g, m, v, vmax),
            &|(p, g, m, v, vmax): (&mut [T], &[T], &mut [T], &mut [T], &mut [T])| {
                for ((((p, &g), m), v), vmax) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()).zip(vmax.iter_mut()) {
                    let (np, nm, nv) = moments(*p, g, *m, *v);
                    let vh = maximum(*vmax, nv);
                    *vmax = vh;
                    *p = update(np, nm, vh);
                    *m = nm;
                    *v = nv;
                }
            },
        ),
        _ => par_lanes(n, (p, g, m, v), &|(p, g, m, v): (&mut [T], &[T], &mut [T], &mut [T])| {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let (np, nm, nv) = moments(*p, g, *m, *v);
                *p = update(np, nm, nv);
                *m = nm;
                *v = nv;
            }
        }),
    }
}

/// RMSprop hyperparameters of one param group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmspropHyper {
    /// learning rate
    pub lr: f64,
    /// smoothing constant of the squared-gradient average
    pub alpha: f64,
    /// term added to the denominator
    pub eps: f64,
    /// L2 penalty added to the gradient
    pub weight_decay: f64,
    /// momentum factor (0: no buffer)
    pub momentum: f64,
    /// normalise by the estimated variance (needs `grad_avg`)
    pub centered: bool,
    /// ascend instead of descend
    pub maximize: bool,
}

/// One RMSprop step. `grad_avg` is required when centered, `buf` when `momentum > 0`.
pub fn rmsprop<T: Real>(p: &mut [T], g: &[T], sq: &mut [T], grad_avg: Option<&mut [T]>, buf: Option<&mut [T]>, h: &RmspropHyper) {
    let n = p.len();
    let (wd, alpha, one_minus_alpha, eps): (T, T, T, T) = (c(h.weight_decay), c(h.alpha), c(1.0 - h.alpha), c(h.eps));
    let (mom, neg_lr, minus_one): (T, T, T) = (c(h.momentum), c(-h.lr), c(-1.0));
    let lerp = Lerp::<T>::new(1.0 - h.alpha);
    let (use_wd, maximize, centered, use_momentum) = (h.weight_decay != 0.0, h.maximize, h.centered, h.momentum > 0.0);
    let grad_avg = if centered { grad_avg } else { None };
    let buf = if use_momentum { buf } else { None };
    par_lanes(
        n,
        (p, g, sq, grad_avg, buf),
        &|(p, g, sq, mut ga, mut buf): (&mut [T], &[T], &mut [T], Option<&mut [T]>, Option<&mut [T]>)| {
            for i in 0..p.len() {
                let g = if maximize { -g[i] } else { g[i] };
                let g = if use_wd { g + wd * p[i] } else { g };
                let s = sq[i] * alpha + one_minus_alpha * g * g;
                sq[i] = s;
                let avg = match ga.as_deref_mut() {
                    Some(ga) => {
                        let a = lerp.apply(ga[i], g);
                        ga[i] = a;
                        (s + minus_one * a * a).sqrt() + eps
                    }
                    None => s.sqrt() + eps,
                };
                match buf.as_deref_mut() {
                    Some(buf) => {
                        let b = buf[i] * mom + g / avg;
                        buf[i] = b;
                        p[i] = p[i] + neg_lr * b;
                    }
                    None => p[i] = p[i] + neg_lr * g / avg,
                }
            }
        },
    );
}

/// Adagrad hyperparameters of one param group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradHyper {
    /// learning rate
    pub lr: f64,
    /// learning-rate decay per step
    pub lr_decay: f64,
    /// L2 penalty added to the gradient
    pub weight_decay: f64,
    /// term added to the denominator
    pub eps: f64,
    /// ascend instead of descend
    pub maximize: bool,
}

/// One Adagrad step at step count `step` (already incremented: 1 on the first step).
pub fn adagrad<T: Real>(p: &mut [T], g: &[T], sum: &mut [T], step: f64, h: &AdagradHyper) {
    let n = p.len();
    let clr = h.lr / (1.0 + (step - 1.0) * h.lr_decay);
    let (wd, eps, neg_clr, one): (T, T, T, T) = (c(h.weight_decay), c(h.eps), c(-clr), <T as Element>::one());
    let (use_wd, maximize) = (h.weight_decay != 0.0, h.maximize);
    par_lanes(n, (p, g, sum), &|(p, g, sum): (&mut [T], &[T], &mut [T])| {
        for ((p, &g), s) in p.iter_mut().zip(g).zip(sum.iter_mut()) {
            let g = if maximize { -g } else { g };
            let g = if use_wd { g + wd * *p } else { g };
            *s = *s + one * g * g;
            *p = *p + neg_clr * g / (s.sqrt() + eps);
        }
    });
}

#[cfg(test)]
#[path = "kernels_tests.rs"]
mod tests;
