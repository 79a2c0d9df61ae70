"""``RNN``, ``LSTM``, ``GRU`` and their one-step cells (PyTorch's ``torch/nn/modules/rnn.py``).

The recurrences are composed of rustgrad ops, so autograd differentiates them like any graph: the
input projections of a whole layer are one product (as PyTorch's CPU path computes them), then
each time step adds the hidden projection and applies the gates in PyTorch's order.
A ``PackedSequence`` input runs the same cells over its steps, step ``t`` advancing only the first
``batch_sizes[t]`` (still running) sequences, so each final state is taken at its sequence's end.
"""

import math
import numbers
import warnings

from ... import _core
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _linear(x, weight, bias):
    return F.linear(x, weight, bias)


def _rnn_cell(x_proj, h, w_hh, b_hh, relu):
    """``act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``x_proj`` the input part."""
    pre = _linear(h, w_hh, b_hh) + x_proj
    return pre.relu() if relu else pre.tanh()


def _lstm_cell(x_proj, h, c, w_hh, b_hh):
    """One LSTM step: gates ``i, f, g, o`` in that order; ``c' = f c + i g``, ``h' = o tanh(c')``."""
    gates = _linear(h, w_hh, b_hh) + x_proj
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def _gru_cell(x_proj, h, w_hh, b_hh):
    """One GRU step: ``r, z`` gates, ``n = tanh(x_n + r (h W_hn^T + b_hn))``, ``h' = n + z (h - n)``."""
    x_r, x_z, x_n = x_proj.chunk(3, 1)
    h_r, h_z, h_n = _linear(h, w_hh, b_hh).chunk(3, 1)
    r = (h_r + x_r).sigmoid()
    z = (h_z + x_z).sigmoid()
    n = (x_n + h_n * r).tanh()
    return (h - n) * z + n


class RNNBase(Module):
    """The multi-layer recurrence shared by ``RNN``, ``LSTM`` and ``GRU``; parameters are named
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and
    ``weight_hr_l{k}`` with ``proj_size``), suffixed ``_reverse`` for the backward direction."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        dtype = dtype or _core.get_default_dtype()
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(_core.empty(shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        # Read by name on every use, so that assigning `rnn.weight_ih_l0 = ...` takes effect.
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """PyTorch packs the weights for cuDNN here; on the CPU there is nothing to do."""
        return None

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # --- argument checks, worded as PyTorch's -------------------------------------------------

    def check_input(self, input, batch_sizes=None):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})"
            )
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input, batch_sizes=None):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if hx.size() != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # --- the recurrence ---------------------------------------------------------------------------

    def _zeros(self, input, size):
        batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return _core.zeros((self.num_layers * num_directions, batch, size), dtype=input.dtype)

    def _batched(self, name, input, hx):
        """``input`` with a batch dimension (and ``hx`` to match) and whether it had one."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead"
                             if name == "RNN" else f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        return input, hx, is_batched

    def _forward_one_state(self, name, input, hx):
        """``RNN``/``GRU``'s forward: one hidden state (LSTM carries two)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                num_directions = 2 if self.bidirectional else 1
                hx = _core.zeros((self.num_layers * num_directions, int(batch_sizes[0]), self.hidden_size),
                                 dtype=data.dtype)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            output, hidden, _ = self._run_packed(data, batch_sizes, hx)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        input, hx, is_batched = self._batched(name, input, hx)
        if hx is None:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, hidden, _ = self._run(input, hx)
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            hidden = hidden.squeeze(1)
        return output, hidden

    def _step(self, x_proj, h, c, w_hh, b_hh, w_hr):
        """One time step of this layer's cell: the new ``(h, c)`` (``c`` None but for LSTM)."""
        if self.mode == "LSTM":
            h, c = _lstm_cell(x_proj, h, c, w_hh, b_hh)
            return (h if w_hr is None else _linear(h, w_hr, None)), c
        if self.mode == "GRU":
            return _gru_cell(x_proj, h, w_hh, b_hh), None
        return _rnn_cell(x_proj, h, w_hh, b_hh, self.mode == "RNN_RELU"), None

    def _run_packed(self, data, batch_sizes, h0, c0=None):
        """All layers over packed ``data``: ``(output data, h_n, c_n)``. Going forward, a sequence
        that ends drops out of the running state (its rows are the last ones), which keeps its final
        state; going backward, a sequence joins with its initial state at its last step."""
        sizes = batch_sizes.tolist()
        num_directions = 2 if self.bidirectional else 1
        weights = self.all_weights
        has_proj = self.proj_size > 0
        h_out, c_out = [], []
        layer_input = data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = weights[k]
                w_hh = w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if has_proj else None
                steps = _linear(layer_input, w[0], b_ih).split(sizes, 0)
                h_init, c_init = h0[k], (c0[k] if c0 is not None else None)
                seq = []
                if direction == 0:
                    h, c = h_init, c_init
                    done_h, done_c = [], []
                    for x_proj, n in zip(steps, sizes):
                        if n < h.size(0):  # sequences n.. ended at the previous step
                            done_h.append(h.narrow(0, n, h.size(0) - n))
                            h = h.narrow(0, 0, n)
                            if c is not None:
                                done_c.append(c.narrow(0, n, c.size(0) - n))
                                c = c.narrow(0, 0, n)
                        h, c = self._step(x_proj, h, c, w_hh, b_hh, w_hr)
                        seq.append(h)
                    h = _core.cat([h] + done_h[::-1], 0) if done_h else h
                    if c is not None and done_c:
                        c = _core.cat([c] + done_c[::-1], 0)
                else:
                    h = h_init.narrow(0, 0, sizes[-1])
                    c = c_init.narrow(0, 0, sizes[-1]) if c_init is not None else None
                    for x_proj, n in zip(reversed(steps), reversed(sizes)):
                        m = h.size(0)
                        if n > m:  # sequences m.. have their last step here
                            h = _core.cat([h, h_init.narrow(0, m, n - m)], 0)
                            if c is not None:
                                c = _core.cat([c, c_init.narrow(0, m, n - m)], 0)
                        h, c = self._step(x_proj, h, c, w_hh, b_hh, w_hr)
                        seq.append(h)
                    seq = seq[::-1]
                outputs.append(_core.cat(seq, 0))
                h_out.append(h)
                c_out.append(c)
            layer_input = outputs[0] if num_directions == 1 else _core.cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = _core.stack(h_out, 0)
        c_n = _core.stack(c_out, 0) if c0 is not None else None
        return layer_input, h_n, c_n

    def _run(self, input, h0, c0=None):
        """All layers over the time-major sequence: ``(output, h_n, c_n)`` (``c_n`` None but for LSTM)."""
        if self.batch_first:
            input = input.transpose(0, 1)
        num_directions = 2 if self.bidirectional else 1
        weights = self.all_weights
        has_proj = self.proj_size > 0
        h_out, c_out = [], []
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = weights[k]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if has_proj else None
                steps = _linear(layer_input, w_ih, b_ih).unbind(0)
                if direction == 1:
                    steps = steps[::-1]
                h = h0[k]
                c = c0[k] if c0 is not None else None
                seq = []
                for x_proj in steps:
                    h, c = self._step(x_proj, h, c, w_hh, b_hh, w_hr)
                    seq.append(h)
                if direction == 1:
                    seq = seq[::-1]
                outputs.append(_core.stack(seq, 0))
                h_out.append(h)
                c_out.append(c)
            layer_input = outputs[0] if num_directions == 1 else _core.cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        h_n = _core.stack(h_out, 0)
        c_n = _core.stack(c_out, 0) if c0 is not None else None
        return output, h_n, c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``nonlinearity='relu'`` for ReLU)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_one_state("RNN", input, hx)


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``. With ``proj_size > 0`` each ``h_t`` is
    projected by ``weight_hr`` (LSTM with projections)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes=None):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real_hidden_size), self._zeros(input, self.hidden_size))
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        output, h_n, c_n = self._run(input, hx[0], hx[1])
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


    def _check_packed_state(self, hx, batch):
        """PyTorch checks a packed LSTM's states only inside its recurrence; these are the errors
        it raises there (a state of more than 3 dims gets the padded path's message)."""
        h, c = hx
        for t in (h, c):
            if t.dim() < 3:
                n = max(t.dim(), 1)
                raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got 2)")
            if t.dim() > 3:
                self.check_forward_args(_core.zeros((1, batch, self.input_size)), hx)
        num_directions = 2 if self.bidirectional else 1
        if h.size(0) != self.num_layers * num_directions or c.size(0) != self.num_layers * num_directions:
            raise RuntimeError("Expected more hidden states in stacked_rnn")
        if h.size(2) != (self.proj_size if self.proj_size > 0 else self.hidden_size) or c.size(2) != self.hidden_size:
            raise RuntimeError("got an incorrect number of RNN parameters")
        if h.size(1) != batch or c.size(1) != batch:
            a, b = (h.size(1), batch) if h.size(1) != batch else (batch, c.size(1))
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension 0")

    def _forward_packed(self, input, hx):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if hx is not None:
            self._check_packed_state(hx, int(batch_sizes[0]))
        if hx is None:
            num_directions = 2 if self.bidirectional else 1
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            batch = int(batch_sizes[0])
            hx = (_core.zeros((self.num_layers * num_directions, batch, real_hidden_size), dtype=data.dtype),
                  _core.zeros((self.num_layers * num_directions, batch, self.hidden_size), dtype=data.dtype))
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        output, h_n, c_n = self._run_packed(data, batch_sizes, hx[0], hx[1])
        return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                self.permute_hidden((h_n, c_n), unsorted_indices))


class GRU(RNNBase):
    """Gated recurrent unit: ``r, z`` gates and ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
    ``h' = (1 - z) n + z h``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_one_state("GRU", input, hx)


class RNNCellBase(Module):
    """Parameters of a one-step cell: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = dtype or _core.get_default_dtype()
        self.weight_ih = Parameter(_core.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(_core.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_core.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(_core.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input, hidden, what="hidden"):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hidden is not None and hidden.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hidden.dim()}D instead")
        return input.dim() == 2

    def _zeros(self, input):
        return _core.zeros((input.size(0), self.hidden_size), dtype=input.dtype)


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched = self._batched(input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x_proj = _linear(input, self.weight_ih, self.bias_ih)
        ret = _rnn_cell(x_proj, hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input, hx=None):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        x_proj = _linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_cell(x_proj, hx[0], hx[1], self.weight_hh, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._batched(input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        x_proj = _linear(input, self.weight_ih, self.bias_ih)
        ret = _gru_cell(x_proj, hx, self.weight_hh, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
