"""Top-level losses (int reductions) and RNN cell functions vs PyTorch; the dedicated nodes of
F.soft_margin_loss / multi_margin_loss / multilabel_margin_loss."""

import numpy as np
import pytest

import rustgrad as rg
from rustgrad.autograd import gradcheck

from test_api_nn_toplevel import R, check, leaf, name, same_error

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses(reduction):
    t = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    y = torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
    check("kl_div", (leaf(3, 4), t.softmax(1), reduction))
    check("kl_div", (leaf(3, 4), t, reduction), {"log_target": True})
    check("poisson_nll_loss", (leaf(3, 4), t.abs(), True, False, 1e-8, reduction))
    check("poisson_nll_loss", (leaf(3, 4).abs().detach().requires_grad_(), t.abs(), False, True, 1e-8, reduction))
    check("binary_cross_entropy_with_logits", (leaf(3, 4), t.sigmoid(), None, None, reduction))
    check("binary_cross_entropy_with_logits", (leaf(3, 4), t.sigmoid(), t.abs(), t[0].abs(), reduction))
    check("cosine_embedding_loss", (leaf(3, 4), leaf(3, 4, seed=1), y, 0.2, reduction))
    check("hinge_embedding_loss", (leaf(3, 4), t.sign(), 0.5, reduction))
    check("margin_ranking_loss", (leaf(3, 4), leaf(3, 4, seed=1), t.sign(), 0.1, reduction))
    check("triplet_margin_loss", (leaf(3, 4), leaf(3, 4, seed=1), leaf(3, 4, seed=2), 1.0, 2.0, 1e-6, True,
                                  reduction))


def test_loss_defaults_and_errors():
    # PyTorch's parser reads the printed default at::Reduction::Mean as 0: no reduction
    t = torch.randn(3, 4, dtype=torch.float64)
    assert rg.kl_div(R(leaf(3, 4)), R(t)).shape == (3, 4)
    check("kl_div", (leaf(3, 4), t.softmax(1)))
    check("binary_cross_entropy_with_logits", (leaf(3, 4), t.sigmoid()))
    same_error("poisson_nll_loss", (leaf(3, 4), t))
    same_error("kl_div", (leaf(3, 4), t, "mean"))
    same_error("kl_div", (leaf(3, 4), t, 1, False))
    same_error("triplet_margin_loss", (leaf(3, 4),))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_F_margin_losses_dedicated_nodes(reduction):
    F, TF = rg.nn.functional, torch.nn.functional
    x = leaf(3, 4)
    cases = [
        ("soft_margin_loss", (torch.tensor([[1.0, -1, 1, 1], [-1, -1, 1, 1], [1, 1, 1, -1]], dtype=torch.float64),),
         {}),
        ("multi_margin_loss", (torch.tensor([0, 3, 1]),), {"p": 2, "margin": 0.7}),
        ("multilabel_margin_loss", (torch.tensor([[0, 3, -1, 0], [1, -1, 0, 0], [2, 1, 0, -1]]),), {}),
    ]
    for fn, rest, kw in cases:
        x = leaf(3, 4)
        t = getattr(TF, fn)(x, *rest, reduction=reduction, **kw)
        rx = R(x)
        r = getattr(F, fn)(rx, *[R(a) for a in rest], reduction=reduction, **kw)
        assert name(r) == name(t)
        np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), atol=1e-10)
        g = torch.ones_like(t)
        t.backward(g)
        r.backward(R(g))
        np.testing.assert_allclose(rx.grad.numpy(), x.grad.numpy(), atol=1e-10)
        assert gradcheck(lambda a: getattr(F, fn)(a, *[R(v) for v in rest], reduction=reduction, **kw),
                         (R(leaf(3, 4, seed=7)),))


def test_F_margin_loss_double_backward():
    F = rg.nn.functional
    x = R(leaf(3, 4))
    loss = F.soft_margin_loss(x, rg.tensor([[1.0, -1, 1, 1]] * 3, dtype=rg.float64))
    (g,) = rg.autograd.grad(loss, x, create_graph=True)
    assert g.requires_grad
    assert rg.autograd.gradgradcheck(lambda a: F.soft_margin_loss(a, rg.ones(3, 4, dtype=rg.float64)), (x,))


@pytest.mark.parametrize("bias", [False, True])
def test_rnn_cells(bias):
    x, h, c = leaf(3, 4), leaf(3, 5, seed=1), leaf(3, 5, seed=2)
    def b():
        return (leaf(5, seed=3), leaf(5, seed=4)) if bias else ()

    check("rnn_tanh_cell", (x, h, leaf(5, 4, seed=5), leaf(5, 5, seed=6)) + b())
    check("rnn_relu_cell", (leaf(3, 4), leaf(3, 5, seed=1), leaf(5, 4, seed=5), leaf(5, 5, seed=6)) + b())
    b4 = (leaf(20, seed=3), leaf(20, seed=4)) if bias else ()
    for out_index in (0, 1):
        h, c = leaf(3, 5, seed=1), leaf(3, 5, seed=2)
        t = torch.lstm_cell(leaf(3, 4), (h, c), leaf(20, 4, seed=5), leaf(20, 5, seed=6), *b4)
        r = rg.lstm_cell(R(leaf(3, 4)), (R(h), R(c)), R(leaf(20, 4, seed=5)), R(leaf(20, 5, seed=6)),
                         *[R(v) for v in b4])
        assert isinstance(r, tuple) and len(r) == 2
        for a, bb in zip(t, r):
            np.testing.assert_allclose(bb.detach().numpy(), a.detach().numpy(), atol=1e-10)
            assert name(bb) == name(a)
    b3 = (leaf(15, seed=3), leaf(15, seed=4)) if bias else ()
    check("gru_cell", (leaf(3, 4), leaf(3, 5, seed=1), leaf(15, 4, seed=5), leaf(15, 5, seed=6)) + b3)


def test_rnn_cell_errors():
    x, h = leaf(3, 4), leaf(3, 5)
    same_error("lstm_cell", (x, h, leaf(20, 4), leaf(20, 5)))
    same_error("rnn_tanh_cell", (x, h, leaf(5, 4)))
    same_error("gru_cell", (x, h, leaf(15, 4), leaf(15, 5), 1))
