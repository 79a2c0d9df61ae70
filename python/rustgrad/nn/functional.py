"""``rustgrad.nn.functional``: the functional forms of the layers (PyTorch's ``torch.nn.functional``).

Each function builds on rustgrad ops so that results, grad_fn names and errors match PyTorch's:
``linear`` is ``addmm`` for a 2-d input with bias (AddmmBackward0), ``dropout`` multiplies by a
scaled Bernoulli mask (MulBackward0), ``embedding`` and ``batch_norm`` are their own nodes
(EmbeddingBackward0, NativeBatchNormBackward0).
"""

import math
import warnings

from .. import _core
from .._core import Tensor
from ..autograd.grad_mode import no_grad



# ----- linear layers -----

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; ``addmm`` for a 2-d input with bias, as in PyTorch."""
    if bias is None:
        return input.matmul(weight.t())
    if input.dim() == 2:
        return bias.addmm(input, weight.t())
    if input.dim() == 1:
        return bias.addmm(input.unsqueeze(0), weight.t()).view(weight.shape[0])
    out = bias.addmm(input.reshape(-1, input.shape[-1]), weight.t())
    return out.view(*input.shape[:-1], weight.shape[0])


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``."""
    if input1.dim() != input2.dim():
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {weight.shape[2]}"
        )
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    o, i, j = weight.shape
    # (x1 W_o) for every o at once: [B, i] @ [i, o*j] -> [B, o, j], then the dot with x2 over j
    left = x1.matmul(weight.permute(1, 0, 2).reshape(i, o * j)).view(-1, o, j)
    out = (left * x2.unsqueeze(1)).sum(-1).reshape(*lead, o)
    return out if bias is None else out + bias


# ----- dropout -----

def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability ``p`` and scales the rest by ``1/(1-p)`` when training."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        noise = _core.zeros((), dtype=input.dtype)
    else:
        with no_grad():
            # bernoulli(1 - p): u < 1 - p for u uniform in [0, 1)
            noise = (_core.rand_like(input) < (1 - p)).to(input.dtype).div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


# ----- sparse -----

def _embedding_renorm_(weight, input, max_norm, norm_type):
    """Rescales the rows of ``weight`` used by ``input`` to norm at most ``max_norm`` (in place, no grad)."""
    with no_grad():
        ids = sorted(set(input.reshape(-1).tolist()))
        if not ids:
            return
        index = _core.tensor(ids, dtype=_core.int64)
        w = weight.detach()
        rows = w.index_select(0, index)
        norms = rows.norm(norm_type, 1)
        scale = _core.where(norms > max_norm, max_norm / (norms + 1e-7), _core.ones_like(norms))
        w[index] = rows * scale.unsqueeze(1)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the integer tensor ``input`` (EmbeddingBackward0)."""
    if sparse:
        raise NotImplementedError("rustgrad has no sparse tensors: use sparse=False")
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    if max_norm is not None:
        input = input.contiguous()
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _core.embedding(weight, input, padding_idx, scale_grad_by_freq)


# ----- normalization -----

def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalizes each channel (dim 1) by batch statistics (training) or the running ones (eval).

    In training, ``running_mean``/``running_var`` (when given) are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat`` (the variance unbiased).
    """
    if training:
        _verify_batch_size(input.size())
    out, _, _ = _core.native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return out


# ----- activations -----

def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def gelu(input, approximate="none"):
    return _core.gelu(input, approximate)


def silu(input, inplace=False):
    return _core.silu_(input) if inplace else _core.silu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _core.leaky_relu_(input, negative_slope) if inplace else _core.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _core.leaky_relu_(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _core.elu_(input, alpha) if inplace else _core.elu(input, alpha)


def elu_(input, alpha=1.0):
    return _core.elu_(input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    return _core.softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _core.hardtanh_(input, min_val, max_val) if inplace else _core.hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return _core.hardtanh_(input, 0.0, 6.0) if inplace else _core.relu6(input)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim) if dtype is None else input.softmax(dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return (-input).softmax(dim) if dtype is None else (-input).softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim) if dtype is None else input.log_softmax(dim, dtype=dtype)


# ----- shape helpers -----

def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Splits dimension ``dim`` of ``input`` into ``sizes`` (a view, ViewBackward0)."""
    ndim = input.dim()
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    dim = dim % ndim
    sizes = list(sizes)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input.shape[dim]
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or size % known != 0:
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} ({size}) in the input tensor")
        sizes[sizes.index(-1)] = size // known
    elif known != size:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} ({size}) in the input tensor")
    return input.view(*input.shape[:dim], *sizes, *input.shape[dim + 1:])


# The other nn families (losses, layer norm, convolutions, pooling) live in their own files.
from ._functional_loss import *  # noqa: F401,F403,E402
from ._functional_conv import *  # noqa: F401,F403,E402
from ._functional_pad import pad  # noqa: F401,E402
from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401,E402
from ._functional_attention import _canonical_mask, _none_or_dtype  # noqa: F401,E402


def one_hot(tensor, num_classes=-1):
    """int64 one-hot rows for the int64 class indices in ``tensor`` (``num_classes=-1``: the
    largest index + 1), shaped ``tensor.shape + (num_classes,)``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not {type(tensor).__name__}")
    if not isinstance(num_classes, int) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not {type(num_classes).__name__}")
    if tensor.dtype != _core.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return _core.zeros((*tensor.shape, num_classes), dtype=_core.int64)
    if int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1
    elif int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = _core.zeros((*tensor.shape, num_classes), dtype=_core.int64)
    return out.scatter_(-1, tensor.detach().unsqueeze(-1), 1)
from ._functional_extra import *  # noqa: F401,F403,E402  (mish, glu, group_norm, kl_div, normalize, ...)
from ._functional_upsample import interpolate, upsample  # noqa: F401,E402
from ._functional_conv_transpose import conv_transpose2d, conv_transpose3d  # noqa: F401,E402
from ._functional_loss_extra import *  # noqa: F401,F403,E402  (margin, triplet, poisson/gaussian nll losses)
from ._functional_layers_extra import *  # noqa: F401,F403,E402  (feature/alpha dropout, threshold, rrelu, pixel/channel shuffle, lrn, rms_norm, ...)
from ._functional_bag_fold import embedding_bag, unfold, fold  # noqa: F401,E402
