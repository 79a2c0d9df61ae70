"""``rustgrad.utils.data``: datasets, samplers and the DataLoader (PyTorch's ``torch.utils.data``)."""

from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split
from .sampler import Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, BatchSampler
from .dataloader import DataLoader, IterableDataset
from .weighted_sampler import WeightedRandomSampler
from ._worker import get_worker_info
from ._collate import default_collate, default_convert

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert", "get_worker_info", "WeightedRandomSampler",
]
