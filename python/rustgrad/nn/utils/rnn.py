"""``rustgrad.nn.utils.rnn``: padding and packing of variable-length sequences (PyTorch's
``torch.nn.utils.rnn``): ``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``,
``pad_sequence``, ``unpad_sequence``, ``pack_sequence``, ``unpack_sequence``."""

from collections import namedtuple
from collections.abc import Iterable

from ... import _core

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

PackedSequence_ = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def bind(optional, fn):
    if optional is None:
        return None
    return fn(optional)


def _rg():
    # The top-level package (imported lazily: this module loads while ``rustgrad`` initialises).
    import rustgrad

    return rustgrad


class PackedSequence(PackedSequence_):
    """The packed steps of a batch of sequences: ``data`` holds step 0 of every sequence, then
    step 1 of those still running, ...; ``batch_sizes`` (a CPU int64 tensor) says how many rows
    each step has. ``sorted_indices``/``unsorted_indices`` map between the caller's batch order
    and the length-sorted order (None when the batch came sorted). Made by ``pack_padded_sequence``
    and ``pack_sequence``; every recurrent layer accepts one."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices, unsorted_indices))

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, bind(self.sorted_indices, lambda t: t.pin_memory()),
                          bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        """``data.to(*args, **kwargs)``; ``self`` when that returns ``data`` itself, else a copy whose
        indices follow ``data``'s device (``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)

        def call_to(t):
            return t.to(data.device, non_blocking=non_blocking)

        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, call_to), bind(self.unsorted_indices, call_to))

    def cuda(self, *args, **kwargs):
        ex = _rg().tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        ex = _rg().tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=_rg().double)

    def float(self):
        return self.to(dtype=_rg().float)

    def half(self):
        return self.to(dtype=_rg().half)

    def long(self):
        return self.to(dtype=_rg().long)

    def int(self):
        return self.to(dtype=_rg().int)

    def short(self):
        return self.to(dtype=_rg().short)

    def char(self):
        return self.to(dtype=_rg().int8)

    def byte(self):
        return self.to(dtype=_rg().uint8)

    @property
    def is_cuda(self):
        """Whether ``data`` is on a GPU (never, here)."""
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. "
                "They should be instantiated by functions like pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return data, batch_sizes, sorted_indices, unsorted_indices
    # `PackedSequence((data, batch_sizes), sorted_indices=...)`
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def _packed_sequence_init(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    return PackedSequence(*_packed_sequence_init_args(data, batch_sizes, sorted_indices, unsorted_indices))


def invert_permutation(permutation):
    """The inverse of a 1-D index ``permutation`` (None for None)."""
    if permutation is None:
        return None
    output = _core.empty_like(permutation)
    output.scatter_(0, permutation, _core.arange(0, permutation.numel()))
    return output


def _check_long_tensor(t):
    # PyTorch's checkLongTensor (`lengths`/`batch_sizes` arrive here as int64 CPU tensors).
    if t.dim() != 1 or t.dtype != _core.int64:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {t.dim()}D cpu "
                           f"{_LEGACY_NAMES.get(str(t.dtype), str(t.dtype))} tensor")


_LEGACY_NAMES = {"rustgrad.int64": "Long", "rustgrad.int32": "Int", "rustgrad.float32": "Float",
                 "rustgrad.float64": "Double", "rustgrad.bool": "Bool", "rustgrad.uint8": "Byte"}


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs the padded ``T x B x *`` batch (``B x T x *`` with ``batch_first``) whose sequence ``b``
    has ``lengths[b]`` valid steps. With ``enforce_sorted`` the lengths must decrease; otherwise the
    batch is sorted first and the permutation kept in the result. One autograd node
    (PackPaddedSequenceBackward0) carries the gradient back to ``input``'s valid positions."""
    rg = _rg()
    if not isinstance(lengths, rg.Tensor):
        lengths = rg.tensor(lengths, dtype=rg.int64)
    else:
        lengths = lengths.to(dtype=rg.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = rg.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        batch_dim = 0 if batch_first else 1
        input = input.index_select(batch_dim, sorted_indices)
    _check_long_tensor(lengths)
    data, batch_sizes = _core._pack_padded_sequence(input, lengths.tolist(), batch_first)
    return _packed_sequence_init(data, batch_sizes, sorted_indices, None)


def _pad_packed(data, batch_sizes, batch_first, padding_value, total_length):
    """PyTorch's ``_pad_packed_sequence``: the padded ``T x B x *`` tensor (blocks of steps with the
    same batch size copied in, so gradients flow through CopySlices) and the int64 lengths."""
    _check_long_tensor(batch_sizes)
    sizes = batch_sizes.tolist()
    max_batch = sizes[0]
    steps = len(sizes)
    trailing = tuple(data.shape[1:])
    output = _core.full((total_length, max_batch) + trailing, padding_value, dtype=data.dtype)
    lengths = [0] * max_batch
    offset, prev_i, prev_batch = 0, 0, max_batch
    for i in range(steps + 1):
        batch = sizes[i] if i != steps else 0
        if batch != prev_batch:
            rows = prev_batch * (i - prev_i)
            block = data.narrow(0, offset, rows).reshape((i - prev_i, prev_batch) + trailing)
            output.narrow(0, prev_i, i - prev_i).narrow(1, 0, prev_batch).copy_(block)
            offset += rows
            prev_i = i
        for b in range(batch, prev_batch):
            lengths[b] = i
        prev_batch = batch
    if batch_first:
        output = output.transpose(0, 1)
    return output, _core.tensor(lengths, dtype=_core.int64)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, the batch in the order it was
    packed in, padded with ``padding_value`` to the longest length (or ``total_length``)."""
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    padded_output, lengths = _pad_packed(sequence.data, sequence.batch_sizes, batch_first, padding_value,
                                         max_seq_length)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded_output.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices.cpu()]
    return padded_output, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks variable-length sequences (``L_i x *``) into ``max_len x B x *`` (``B x max_len x *``
    with ``batch_first``), filling with ``padding_value`` after (or, ``padding_side='left'``,
    before) each sequence. Gradients flow through the copies (CopySlices), as in PyTorch."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    sequences = tuple(sequences)
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    max_len = max(s.size(0) for s in sequences)
    n = len(sequences)
    dims = (n, max_len) + trailing if batch_first else (max_len, n) + trailing
    out = _core.full(dims, padding_value, dtype=first.dtype)
    for i, seq in enumerate(sequences):
        length = seq.size(0)
        start = max_len - length if padding_side == "left" else 0
        if batch_first:
            out.select(0, i).narrow(0, start, length).copy_(seq)
        else:
            out.narrow(0, start, length).select(1, i).copy_(seq)
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into its sequences (``lengths[b]`` steps each). PyTorch transposes
    a time-major ``padded_sequences`` in place (``transpose_``); rustgrad has no in-place view ops,
    so the caller's tensor is left as it was."""
    unpadded_sequences = []
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    max_length = padded_sequences.shape[1]
    idx = _core.arange(max_length)
    for seq, length in zip(padded_sequences, lengths, strict=True):
        mask = idx < length
        unpadded_sequences.append(seq[mask])
    return unpadded_sequences


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence(pad_sequence(sequences), lengths)`` for a list of ``L_i x *`` tensors."""
    lengths = _rg().tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a ``PackedSequence`` holds, in the caller's original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
