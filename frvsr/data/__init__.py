"""Video data pipeline: datasets, video decoding, scene cuts, degradations, transforms.

Pure torch/numpy/PyAV/kornia: no Lightning, Hydra or wandb (see docs/DESIGN.md).
"""

from frvsr.data.degradations import (
    DEGRADATIONS,
    SCALES,
    bicubic_baseline,
    crop_to_multiple,
    degrade,
)
from frvsr.data.errors import DataError

__all__ = ["DEGRADATIONS", "SCALES", "DataError", "bicubic_baseline", "crop_to_multiple", "degrade"]
