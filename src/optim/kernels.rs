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

use super::lanes::run_lanes;
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

/// Defines `$name`, which runs `$body` compiled for AVX2 (8 float32 lanes) when the CPU has it,
/// else for the baseline target. No FMA contraction happens either way (Rust never fuses `a * b + c`),
/// so both versions give the same bits.
macro_rules! multiversion {
    (fn $name:ident<T>($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        fn $name<T: Real>($($arg: $ty),*) {
            #[inline(always)]
            fn body<T: Real>($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<T: Real>($($arg: $ty),*) {
                    body::<T>($($arg),*)
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has the features `avx2` is compiled for.
                    return unsafe { avx2::<T>($($arg),*) };
                }
            }
            body::<T>($($arg),*)
        }
    };
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

/// SGD's constants in the element type.
struct SgdK<T> {
    wd: T,
    mom: T,
    damp: T,
    neg_lr: T,
    use_wd: bool,
    maximize: bool,
    nesterov: bool,
    init_buf: bool,
}

multiversion! {
    fn sgd_chunk<T>(p: &mut [T], g: &[T], buf: Option<&mut [T]>, k: &SgdK<T>) {
        let n = p.len();
        let g = &g[..n];
        // g = -g if maximize; g = g + weight_decay * p
        let grad = |g: T, p: T| {
            let g = if k.maximize { -g } else { g };
            if k.use_wd { g + k.wd * p } else { g }
        };
        match buf {
            Some(buf) => {
                let buf = &mut buf[..n];
                for i in 0..n {
                    let d = grad(g[i], p[i]);
                    // buf = clone(g) on the first step, else momentum * buf + (1 - dampening) * g
                    let b = if k.init_buf { d } else { buf[i] * k.mom + k.damp * d };
                    buf[i] = b;
                    let d = if k.nesterov { d + k.mom * b } else { b };
                    p[i] = p[i] + k.neg_lr * d;
                }
            }
            None => {
                for i in 0..n {
                    let d = grad(g[i], p[i]);
                    p[i] = p[i] + k.neg_lr * d;
                }
            }
        }
    }
}

/// One SGD step. `buf` is the momentum buffer (required when `momentum != 0`); with `init_buf`
/// it is written with the gradient (PyTorch's first step clones it, without dampening).
pub fn sgd<T: Real>(p: &mut [T], g: &[T], buf: Option<&mut [T]>, init_buf: bool, h: &SgdHyper) {
    let k = SgdK {
        wd: c(h.weight_decay),
        mom: c(h.momentum),
        damp: c(1.0 - h.dampening),
        neg_lr: c(-h.lr),
        use_wd: h.weight_decay != 0.0,
        maximize: h.maximize,
        nesterov: h.nesterov,
        init_buf,
    };
    let buf = if h.momentum != 0.0 { buf } else { None };
    run_lanes(p.len(), (p, g, buf), &|(p, g, buf)| sgd_chunk(p, g, buf, &k));
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

/// Adam's constants at one step count, in the element type.
struct AdamK<T> {
    wd: T,
    decay: T,
    beta2: T,
    one_minus_beta2: T,
    bc2_sqrt: T,
    eps: T,
    neg_step_size: T,
    lerp: Lerp<T>,
    coupled: bool,
    decoupled: bool,
    maximize: bool,
}

multiversion! {
    fn adam_chunk<T>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: Option<&mut [T]>, k: &AdamK<T>) {
        let n = p.len();
        let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
        // Everything up to the second moment: returns (p, m, v).
        let moments = |p: T, g: T, m: T, v: T| {
            let g = if k.maximize { -g } else { g };
            let p = if k.decoupled { p * k.decay } else { p }; // p *= 1 - lr * weight_decay
            let g = if k.coupled { g + k.wd * p } else { g }; // g += weight_decay * p
            let m = k.lerp.apply(m, g); // m = lerp(m, g, 1 - beta1)
            let v = v * k.beta2 + k.one_minus_beta2 * g * g; // v = beta2 * v + (1 - beta2) * g * g
            (p, m, v)
        };
        // p -= (lr / bc1) * m / (sqrt(vhat) / sqrt(bc2) + eps)
        let update = |p: T, m: T, vhat: T| p + k.neg_step_size * m / (vhat.sqrt() / k.bc2_sqrt + k.eps);
        match vmax {
            Some(vmax) => {
                let vmax = &mut vmax[..n];
                for i in 0..n {
                    let (np, nm, nv) = moments(p[i], g[i], m[i], v[i]);
                    let vh = maximum(vmax[i], nv);
                    vmax[i] = vh;
                    p[i] = update(np, nm, vh);
                    m[i] = nm;
                    v[i] = nv;
                }
            }
            None => {
                for i in 0..n {
                    let (np, nm, nv) = moments(p[i], g[i], m[i], v[i]);
                    p[i] = update(np, nm, nv);
                    m[i] = nm;
                    v[i] = nv;
                }
            }
        }
    }
}

/// One Adam step at step count `step` (already incremented: 1 on the first step).
pub fn adam<T: Real>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: Option<&mut [T]>, step: f64, h: &AdamHyper) {
    let bias_correction1 = 1.0 - h.beta1.powf(step);
    let bias_correction2 = 1.0 - h.beta2.powf(step);
    let step_size = h.lr / bias_correction1;
    let k = AdamK {
        wd: c(h.weight_decay),
        decay: c(1.0 - h.lr * h.weight_decay),
        beta2: c(h.beta2),
        one_minus_beta2: c(1.0 - h.beta2),
        bc2_sqrt: c(bias_correction2.sqrt()),
        eps: c(h.eps),
        neg_step_size: c(-step_size),
        lerp: Lerp::new(1.0 - h.beta1),
        coupled: h.weight_decay != 0.0 && !h.decoupled_weight_decay,
        decoupled: h.weight_decay != 0.0 && h.decoupled_weight_decay,
        maximize: h.maximize,
    };
    let vmax = if h.amsgrad { vmax } else { None };
    run_lanes(p.len(), (p, g, m, v, vmax), &|(p, g, m, v, vmax)| adam_chunk(p, g, m, v, vmax, &k));
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

/// RMSprop's constants in the element type.
struct RmspropK<T> {
    wd: T,
    alpha: T,
    one_minus_alpha: T,
    eps: T,
    mom: T,
    neg_lr: T,
    lerp: Lerp<T>,
    use_wd: bool,
    maximize: bool,
}

multiversion! {
    fn rmsprop_chunk<T>(p: &mut [T], g: &[T], sq: &mut [T], grad_avg: Option<&mut [T]>, buf: Option<&mut [T]>, k: &RmspropK<T>) {
        let n = p.len();
        let (g, sq) = (&g[..n], &mut sq[..n]);
        let minus_one = -<T as Element>::one();
        // g = -g if maximize; g += weight_decay * p; sq = alpha * sq + (1 - alpha) * g * g
        let square = |g: T, p: T, s: T| {
            let g = if k.maximize { -g } else { g };
            let g = if k.use_wd { g + k.wd * p } else { g };
            (g, s * k.alpha + k.one_minus_alpha * g * g)
        };
        // centered: ga = lerp(ga, g, 1 - alpha); avg = sqrt(sq - ga * ga) + eps, else sqrt(sq) + eps
        let centered = |s: T, a: T| (s + minus_one * a * a).sqrt() + k.eps;
        match (grad_avg, buf) {
            (Some(ga), Some(buf)) => {
                let (ga, buf) = (&mut ga[..n], &mut buf[..n]);
                for i in 0..n {
                    let (gi, s) = square(g[i], p[i], sq[i]);
                    sq[i] = s;
                    let a = k.lerp.apply(ga[i], gi);
                    ga[i] = a;
                    // buf = momentum * buf + g / avg; p -= lr * buf
                    let b = buf[i] * k.mom + gi / centered(s, a);
                    buf[i] = b;
                    p[i] = p[i] + k.neg_lr * b;
                }
            }
            (Some(ga), None) => {
                let ga = &mut ga[..n];
                for i in 0..n {
                    let (gi, s) = square(g[i], p[i], sq[i]);
                    sq[i] = s;
                    let a = k.lerp.apply(ga[i], gi);
                    ga[i] = a;
                    p[i] = p[i] + k.neg_lr * gi / centered(s, a);
                }
            }
            (None, Some(buf)) => {
                let buf = &mut buf[..n];
                for i in 0..n {
                    let (gi, s) = square(g[i], p[i], sq[i]);
                    sq[i] = s;
                    let b = buf[i] * k.mom + gi / (s.sqrt() + k.eps);
                    buf[i] = b;
                    p[i] = p[i] + k.neg_lr * b;
                }
            }
            (None, None) => {
                for i in 0..n {
                    let (gi, s) = square(g[i], p[i], sq[i]);
                    sq[i] = s;
                    // p -= lr * g / avg
                    p[i] = p[i] + k.neg_lr * gi / (s.sqrt() + k.eps);
                }
            }
        }
    }
}

/// One RMSprop step. `grad_avg` is required when centered, `buf` when `momentum > 0`.
pub fn rmsprop<T: Real>(p: &mut [T], g: &[T], sq: &mut [T], grad_avg: Option<&mut [T]>, buf: Option<&mut [T]>, h: &RmspropHyper) {
    let k = RmspropK {
        wd: c(h.weight_decay),
        alpha: c(h.alpha),
        one_minus_alpha: c(1.0 - h.alpha),
        eps: c(h.eps),
        mom: c(h.momentum),
        neg_lr: c(-h.lr),
        lerp: Lerp::new(1.0 - h.alpha),
        use_wd: h.weight_decay != 0.0,
        maximize: h.maximize,
    };
    let grad_avg = if h.centered { grad_avg } else { None };
    let buf = if h.momentum > 0.0 { buf } else { None };
    run_lanes(p.len(), (p, g, sq, grad_avg, buf), &|(p, g, sq, ga, buf)| rmsprop_chunk(p, g, sq, ga, buf, &k));
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

/// Adagrad's constants at one step count, in the element type.
struct AdagradK<T> {
    wd: T,
    eps: T,
    neg_clr: T,
    use_wd: bool,
    maximize: bool,
}

multiversion! {
    fn adagrad_chunk<T>(p: &mut [T], g: &[T], sum: &mut [T], k: &AdagradK<T>) {
        let n = p.len();
        let (g, sum) = (&g[..n], &mut sum[..n]);
        let one = <T as Element>::one();
        for i in 0..n {
            let gi = if k.maximize { -g[i] } else { g[i] };
            let gi = if k.use_wd { gi + k.wd * p[i] } else { gi };
            // sum += g * g; p -= clr * g / (sqrt(sum) + eps)
            let s = sum[i] + one * gi * gi;
            sum[i] = s;
            p[i] = p[i] + k.neg_clr * gi / (s.sqrt() + k.eps);
        }
    }
}

/// One Adagrad step at step count `step` (already incremented: 1 on the first step).
pub fn adagrad<T: Real>(p: &mut [T], g: &[T], sum: &mut [T], step: f64, h: &AdagradHyper) {
    // clr = lr / (1 + (step - 1) * lr_decay)
    let clr = h.lr / (1.0 + (step - 1.0) * h.lr_decay);
    let k = AdagradK { wd: c(h.weight_decay), eps: c(h.eps), neg_clr: c(-clr), use_wd: h.weight_decay != 0.0, maximize: h.maximize };
    run_lanes(p.len(), (p, g, sum), &|(p, g, sum)| adagrad_chunk(p, g, sum, &k));
}

#[cfg(test)]
#[path = "kernels_tests.rs"]
mod tests;
