"""Video data pipeline: sources, datasets, video decoding, scene cuts, degradations, transforms.

Pure torch/numpy/PyAV/kornia: no Lightning, Hydra or wandb (see docs/DESIGN.md). The
Lightning wrapper is `frvsr.lit.datamodule.VideoDataModule`.
"""

from frvsr.data.clips import Clip
from frvsr.data.datasets import EvalClipDataset, TrainClipDataset
from frvsr.data.degradations import (
    DEGRADATIONS,
    SCALES,
    bd_kernel,
    bicubic_baseline,
    crop_to_multiple,
    degrade,
)
from frvsr.data.errors import DataError
from frvsr.data.robust import ExtraDegradations
from frvsr.data.sampler import EpochSampler
from frvsr.data.scenes import detect_cuts, split_shots
from frvsr.data.sources import FolderSource, ImageSource, SampleSource, VideoSource, VimeoSource

__all__ = [
    "DEGRADATIONS",
    "SCALES",
    "Clip",
    "DataError",
    "EpochSampler",
    "EvalClipDataset",
    "ExtraDegradations",
    "FolderSource",
    "ImageSource",
    "SampleSource",
    "TrainClipDataset",
    "VideoSource",
    "VimeoSource",
    "bd_kernel",
    "bicubic_baseline",
    "crop_to_multiple",
    "degrade",
    "detect_cuts",
    "split_shots",
]
