//! The fused kernels against a literal, op-by-op transcription of PyTorch's single-tensor code
//! (one full pass per ATen op, as `_single_tensor_<name>` runs them), bit for bit, at sizes
//! around rayon's grain; and the spec's float32 reference trajectories.

use super::*;
use crate::cpu::GRAIN;

/// One ATen-style op over whole vectors.
fn map2<T: Real>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> Vec<T> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

fn add<T: Real>(a: &[T], b: &[T], alpha: f64) -> Vec<T> {
    map2(a, b, |x, y| x + c::<T>(alpha) * y)
}

fn addcmul<T: Real>(s: &[T], a: &[T], b: &[T], value: f64) -> Vec<T> {
    let ab: Vec<(T, T)> = a.iter().copied().zip(b.iter().copied()).collect();
    s.iter().zip(ab).map(|(&s, (x, y))| s + c::<T>(value) * x * y).collect()
}

fn addcdiv<T: Real>(s: &[T], a: &[T], b: &[T], value: f64) -> Vec<T> {
    let ab: Vec<(T, T)> = a.iter().copied().zip(b.iter().copied()).collect();
    s.iter().zip(ab).map(|(&s, (x, y))| s + c::<T>(value) * x / y).collect()
}

fn mul_s<T: Real>(a: &[T], s: f64) -> Vec<T> {
    a.iter().map(|&x| x * c::<T>(s)).collect()
}

fn lerp<T: Real>(a: &[T], b: &[T], w: f64) -> Vec<T> {
    let l = Lerp::<T>::new(w);
    map2(a, b, |x, y| l.apply(x, y))
}

fn neg<T: Real>(a: &[T]) -> Vec<T> {
    a.iter().map(|&x| -x).collect()
}

fn sqrt_add<T: Real>(a: &[T], div: Option<f64>, eps: f64) -> Vec<T> {
    a.iter().map(|&x| div.map_or(x.sqrt(), |d| x.sqrt() / c::<T>(d)) + c::<T>(eps)).collect()
}

fn data<T: Real>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            c(((s >> 33) as f64 / (1u64 << 31) as f64) * 4.0 - 2.0)
        })
        .collect()
}

fn positive<T: Real>(n: usize, seed: u64) -> Vec<T> {
    data::<T>(n, seed).into_iter().map(|x| x * x).collect()
}

const SIZES: [usize; 6] = [1, 7, 65, GRAIN - 1, GRAIN + 1, 2 * GRAIN + 33];

fn check_sgd<T: Real>() {
    for &n in &SIZES {
        for (momentum, dampening, nesterov, weight_decay, maximize, init) in [
            (0.0, 0.0, false, 0.0, false, false),
            (0.9, 0.0, false, 0.1, true, true),
            (0.9, 0.5, false, 0.0, false, false),
            (0.9, 0.0, true, 0.01, false, false),
            (0.5, 0.0, true, 0.0, true, true),
        ] {
            let h = SgdHyper { lr: 0.1, momentum, dampening, weight_decay, nesterov, maximize };
            let (p0, g, b0) = (data::<T>(n, 1), data::<T>(n, 2), data::<T>(n, 3));
            let (mut p, mut b) = (p0.clone(), b0.clone());
            sgd(&mut p, &g, if momentum != 0.0 { Some(&mut b[..]) } else { None }, init, &h);
            // _single_tensor_sgd
            let mut grad = if maximize { neg(&g) } else { g.clone() };
            if weight_decay != 0.0 {
                grad = add(&grad, &p0, weight_decay);
            }
            let mut buf = b0.clone();
            if momentum != 0.0 {
                buf = if init { grad.clone() } else { add(&mul_s(&buf, momentum), &grad, 1.0 - dampening) };
                grad = if nesterov { add(&grad, &buf, momentum) } else { buf.clone() };
            }
            assert_eq!(p, add(&p0, &grad, -0.1), "n={n} {h:?}");
            assert_eq!(b, buf);
        }
    }
}

fn check_adam<T: Real>() {
    for &n in &SIZES {
        for (weight_decay, decoupled, amsgrad, maximize, beta1) in [
            (0.0, false, false, false, 0.9),
            (0.1, false, true, false, 0.9),
            (0.1, true, false, true, 0.9),
            (0.01, true, true, false, 0.3),
        ] {
            let h = AdamHyper { lr: 0.01, beta1, beta2: 0.999, eps: 1e-8, weight_decay, amsgrad, maximize, decoupled_weight_decay: decoupled };
            let step = 3.0;
            let (p0, g, m0, v0, vm0) = (data::<T>(n, 4), data::<T>(n, 5), data::<T>(n, 6), positive::<T>(n, 7), positive::<T>(n, 8));
            let (mut p, mut m, mut v, mut vm) = (p0.clone(), m0.clone(), v0.clone(), vm0.clone());
            adam(&mut p, &g, &mut m, &mut v, if amsgrad { Some(&mut vm[..]) } else { None }, step, &h);
            // _single_tensor_adam
            let mut grad = if maximize { neg(&g) } else { g.clone() };
            let mut param = p0.clone();
            if weight_decay != 0.0 {
                if decoupled {
                    param = mul_s(&param, 1.0 - h.lr * weight_decay);
                } else {
                    grad = add(&grad, &param, weight_decay);
                }
            }
            let exp_avg = lerp(&m0, &grad, 1.0 - beta1);
            let exp_avg_sq = addcmul(&mul_s(&v0, 0.999), &grad, &grad, 1.0 - 0.999);
            let bc1 = 1.0 - beta1.powf(step);
            let bc2: f64 = 1.0 - 0.999f64.powf(step);
            let mut vmax = vm0.clone();
            let denom = if amsgrad {
                vmax = map2(&vm0, &exp_avg_sq, maximum);
                sqrt_add(&vmax, Some(bc2.powf(0.5)), 1e-8)
            } else {
                sqrt_add(&exp_avg_sq, Some(bc2.powf(0.5)), 1e-8)
            };
            assert_eq!(p, addcdiv(&param, &exp_avg, &denom, -(h.lr / bc1)), "n={n} {h:?}");
            assert_eq!((m, v), (exp_avg, exp_avg_sq));
            assert_eq!(vm, vmax);
        }
    }
}

fn check_rmsprop<T: Real>() {
    for &n in &SIZES {
        for (momentum, centered, weight_decay, maximize) in
            [(0.0, false, 0.0, false), (0.9, true, 0.1, false), (0.0, true, 0.0, true), (0.5, false, 0.01, true)]
        {
            let h = RmspropHyper { lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay, momentum, centered, maximize };
            let (p0, g, sq0, ga0, b0) = (data::<T>(n, 9), data::<T>(n, 10), positive::<T>(n, 11), data::<T>(n, 12), data::<T>(n, 13));
            // keep sq - ga^2 >= 0 as a real history would
            let ga0: Vec<T> = ga0.iter().zip(&sq0).map(|(&a, &s)| a * s.sqrt() * c(0.25)).collect();
            let (mut p, mut sq, mut ga, mut b) = (p0.clone(), sq0.clone(), ga0.clone(), b0.clone());
            rmsprop(&mut p, &g, &mut sq, Some(&mut ga[..]), Some(&mut b[..]), &h);
            // _single_tensor_rmsprop
            let mut grad = if maximize { neg(&g) } else { g.clone() };
            if weight_decay != 0.0 {
                grad = add(&grad, &p0, weight_decay);
            }
            let square_avg = addcmul(&mul_s(&sq0, 0.99), &grad, &grad, 1.0 - 0.99);
            let mut grad_avg = ga0.clone();
            let avg = if centered {
                grad_avg = lerp(&ga0, &grad, 1.0 - 0.99);
                sqrt_add(&addcmul(&square_avg, &grad_avg, &grad_avg, -1.0), None, 1e-8)
            } else {
                sqrt_add(&square_avg, None, 1e-8)
            };
            let mut buf = b0.clone();
            let param = if momentum > 0.0 {
                buf = addcdiv(&mul_s(&b0, momentum), &grad, &avg, 1.0);
                add(&p0, &buf, -0.01)
            } else {
                addcdiv(&p0, &grad, &avg, -0.01)
            };
            assert_eq!(p, param, "n={n} {h:?}");
            assert_eq!((sq, ga, b), (square_avg, grad_avg, buf));
        }
    }
}

fn check_adagrad<T: Real>() {
    for &n in &SIZES {
        for (lr_decay, weight_decay, maximize) in [(0.0, 0.0, false), (0.01, 0.1, true)] {
            let h = AdagradHyper { lr: 0.1, lr_decay, weight_decay, eps: 1e-10, maximize };
            let (p0, g, s0) = (data::<T>(n, 14), data::<T>(n, 15), positive::<T>(n, 16));
            let (mut p, mut s) = (p0.clone(), s0.clone());
            adagrad(&mut p, &g, &mut s, 4.0, &h);
            let mut grad = if maximize { neg(&g) } else { g.clone() };
            if weight_decay != 0.0 {
                grad = add(&grad, &p0, weight_decay);
            }
            let clr = 0.1 / (1.0 + 3.0 * lr_decay);
            let sum = addcmul(&s0, &grad, &grad, 1.0);
            let std = sqrt_add(&sum, None, 1e-10);
            assert_eq!(p, addcdiv(&p0, &grad, &std, -clr), "n={n} {h:?}");
            assert_eq!(s, sum);
        }
    }
}

#[test]
fn sgd_matches_pytorch_op_sequence() {
    check_sgd::<f32>();
    check_sgd::<f64>();
}

#[test]
fn adam_matches_pytorch_op_sequence() {
    check_adam::<f32>();
    check_adam::<f64>();
}

#[test]
fn rmsprop_matches_pytorch_op_sequence() {
    check_rmsprop::<f32>();
    check_rmsprop::<f64>();
}

#[test]
fn adagrad_matches_pytorch_op_sequence() {
    check_adagrad::<f32>();
    check_adagrad::<f64>();
}

#[test]
fn lerp_uses_the_second_formula_for_large_weights() {
    let l = Lerp::<f64>::new(0.75);
    assert_eq!(l.apply(1.0, 3.0), 3.0 - (3.0 - 1.0) * 0.25);
    assert!(maximum(f32::NAN, 1.0).is_nan() && maximum(1.0, f32::NAN).is_nan());
}

/// 3 steps on `w0 = [1, -2, 3]` with the gradient of `(w**2).sum() + w.sum()` (`2w + 1`).
fn trajectory(mut step: impl FnMut(&mut [f32], &[f32], f64)) -> Vec<f32> {
    let mut w = vec![1.0f32, -2.0, 3.0];
    for t in 1..=3 {
        let g: Vec<f32> = w.iter().map(|&x| 2.0 * x + 1.0).collect();
        step(&mut w, &g, t as f64);
    }
    w
}

fn assert_close(got: &[f32], want: [f64; 3]) {
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

#[test]
fn spec_reference_trajectories() {
    let sgd_run = |momentum, dampening, nesterov, weight_decay, maximize| {
        let h = SgdHyper { lr: 0.1, momentum, dampening, weight_decay, nesterov, maximize };
        let mut buf = vec![0.0f32; 3];
        trajectory(|w, g, t| sgd(w, g, Some(&mut buf), t == 1.0, &h))
    };
    assert_close(&sgd_run(0.0, 0.0, false, 0.0, false), [0.26799998, -1.26800001, 1.29200006]);
    assert_close(&sgd_run(0.9, 0.0, false, 0.0, false), [-0.40700001, -0.59300005, -0.28299993]);
    assert_close(&sgd_run(0.9, 0.5, false, 0.0, false), [-0.12199997, -0.87800008, 0.38199997]);
    assert_close(&sgd_run(0.9, 0.0, true, 0.0, false), [-0.66252798, -0.33747211, -0.87923187]);
    assert_close(&sgd_run(0.0, 0.0, false, 0.1, false), [0.25162899, -1.22748792, 1.23770702]);
    assert_close(&sgd_run(0.0, 0.0, false, 0.0, true), [2.09200001, -3.09199977, 5.54799986]);

    let adam_run = |weight_decay, decoupled, amsgrad| {
        let h = AdamHyper { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, amsgrad, maximize: false, decoupled_weight_decay: decoupled };
        let (mut m, mut v, mut vm) = (vec![0.0f32; 3], vec![0.0f32; 3], vec![0.0f32; 3]);
        trajectory(|w, g, t| adam(w, g, &mut m, &mut v, Some(&mut vm), t, &h))
    };
    assert_close(&adam_run(0.0, false, false), [0.70090282, -1.70090294, 2.70031881]);
    assert_close(&adam_run(0.1, false, false), [0.70092225, -1.70088422, 2.70032144]);
    assert_close(&adam_run(0.0, false, true), [0.70090282, -1.70090294, 2.70031881]);
    assert_close(&adam_run(0.01, true, false), [0.69821709, -1.69523227, 2.69163871]);
    assert_close(&adam_run(0.1, true, false), [0.67430717, -1.64473486, 2.61431789]);

    let rms_run = |momentum, centered| {
        let h = RmspropHyper { lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum, centered, maximize: false };
        let (mut sq, mut ga, mut b) = (vec![0.0f32; 3], vec![0.0f32; 3], vec![0.0f32; 3]);
        trajectory(|w, g, _| rmsprop(w, g, &mut sq, Some(&mut ga), Some(&mut b), &h))
    };
    assert_close(&rms_run(0.0, false), [0.77685148, -1.77685142, 2.77347875]);
    assert_close(&rms_run(0.9, true), [0.54355544, -1.54355550, 2.53713727]);

    let ada_run = |lr_decay, init: f32| {
        let h = AdagradHyper { lr: 0.1, lr_decay, weight_decay: 0.0, eps: 1e-10, maximize: false };
        let mut s = vec![init; 3];
        trajectory(|w, g, t| adagrad(w, g, &mut s, t, &h))
    };
    assert_close(&ada_run(0.0, 0.0), [0.77732450, -1.77732456, 2.77394915]);
    assert_close(&ada_run(0.01, 0.1), [0.77988225, -1.77988231, 2.77589226]);
}
