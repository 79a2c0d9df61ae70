"""PyTorch's top-level losses (``torch.kl_div(input, target, reduction=1)``...: the reduction an
int, 0 none / 1 mean / 2 sum) and RNN cell functions (``torch.lstm_cell(input, hx, w_ih, w_hh,
b_ih=None, b_hh=None)``), under ATen's signatures; the maths is ``nn.functional``'s and
``nn.RNNCell``'s.
"""

from ._core import Tensor
from ._nn_signatures import signature
from .nn import functional as F
from .nn.modules import rnn as _rnn

__all__ = [
    "kl_div", "poisson_nll_loss", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "hinge_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "rnn_tanh_cell", "rnn_relu_cell",
    "lstm_cell", "gru_cell",
]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _num(value):
    return value.item() if isinstance(value, Tensor) else value


def _reduction(value):
    """ATen's reduction enum as nn.functional's name (other ints sum, as ATen's ``apply_loss_reduction``
    treats anything but None / Mean)."""
    value = int(_num(value))
    return _REDUCTIONS.get(value, "sum")


_kl_div_bind = signature(
    "kl_div(Tensor input, Tensor target, int reduction = at::Reduction::Mean, *, bool log_target = False)"
)


def kl_div(*args, **kwargs):
    """``target * (log target - input)`` (or ``exp(target) * (target - input)`` for log targets)."""
    input, target, reduction, log_target = _kl_div_bind(args, kwargs)
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


_poisson_bind = signature(
    "poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction)"
)


def poisson_nll_loss(*args, **kwargs):
    input, target, log_input, full, eps, reduction = _poisson_bind(args, kwargs)
    return F.poisson_nll_loss(input, target, log_input, full, eps=float(_num(eps)), reduction=_reduction(reduction))


_bce_logits_bind = signature(
    "binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor weight = None, Tensor pos_weight = None, "
    "int reduction = at::Reduction::Mean)"
)


def binary_cross_entropy_with_logits(*args, **kwargs):
    input, target, weight, pos_weight, reduction = _bce_logits_bind(args, kwargs)
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


_cosine_bind = signature(
    "cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin = 0.0, "
    "int reduction = at::Reduction::Mean)"
)


def cosine_embedding_loss(*args, **kwargs):
    input1, input2, target, margin, reduction = _cosine_bind(args, kwargs)
    return F.cosine_embedding_loss(input1, input2, target, float(_num(margin)), reduction=_reduction(reduction))


_hinge_bind = signature(
    "hinge_embedding_loss(Tensor input, Tensor target, float margin = 1.0, int reduction = at::Reduction::Mean)"
)


def hinge_embedding_loss(*args, **kwargs):
    input, target, margin, reduction = _hinge_bind(args, kwargs)
    return F.hinge_embedding_loss(input, target, float(_num(margin)), reduction=_reduction(reduction))


_ranking_bind = signature(
    "margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin = 0.0, "
    "int reduction = at::Reduction::Mean)"
)


def margin_ranking_loss(*args, **kwargs):
    input1, input2, target, margin, reduction = _ranking_bind(args, kwargs)
    return F.margin_ranking_loss(input1, input2, target, float(_num(margin)), reduction=_reduction(reduction))


_triplet_bind = signature(
    "triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin = 1.0, float p = 2, "
    "float eps = 1e-06, bool swap = False, int reduction = at::Reduction::Mean)"
)


def triplet_margin_loss(*args, **kwargs):
    anchor, positive, negative, margin, p, eps, swap, reduction = _triplet_bind(args, kwargs)
    return F.triplet_margin_loss(anchor, positive, negative, float(_num(margin)), float(_num(p)), float(_num(eps)),
                                 swap, reduction=_reduction(reduction))


# ----- RNN cells -----

def _cell_sig(name, hx="Tensor"):
    return signature(
        f"{name}(Tensor input, {hx} hx, Tensor w_ih, Tensor w_hh, Tensor b_ih = None, Tensor b_hh = None)"
    )


_rnn_tanh_bind = _cell_sig("rnn_tanh_cell")
_rnn_relu_bind = _cell_sig("rnn_relu_cell")
_lstm_bind = _cell_sig("lstm_cell", "Tensor[]")
_gru_bind = _cell_sig("gru_cell")


def _x_proj(input, w_ih, b_ih):
    return F.linear(input, w_ih, b_ih)


def rnn_tanh_cell(*args, **kwargs):
    """``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    input, hx, w_ih, w_hh, b_ih, b_hh = _rnn_tanh_bind(args, kwargs)
    return _rnn._rnn_cell(_x_proj(input, w_ih, b_ih), hx, w_hh, b_hh, False)


def rnn_relu_cell(*args, **kwargs):
    """``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    input, hx, w_ih, w_hh, b_ih, b_hh = _rnn_relu_bind(args, kwargs)
    return _rnn._rnn_cell(_x_proj(input, w_ih, b_ih), hx, w_hh, b_hh, True)


def lstm_cell(*args, **kwargs):
    """One LSTM step from ``hx = (h, c)``: ``(h', c')``."""
    input, hx, w_ih, w_hh, b_ih, b_hh = _lstm_bind(args, kwargs)
    if len(hx) != 2:
        raise RuntimeError(f"lstm_cell expects two hidden states, got {len(hx)}")
    return _rnn._lstm_cell(_x_proj(input, w_ih, b_ih), hx[0], hx[1], w_hh, b_hh)


def gru_cell(*args, **kwargs):
    """One GRU step: ``h'``."""
    input, hx, w_ih, w_hh, b_ih, b_hh = _gru_bind(args, kwargs)
    return _rnn._gru_cell(_x_proj(input, w_ih, b_ih), hx, w_hh, b_hh)
