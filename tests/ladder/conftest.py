"""Fixtures of the ladder tests: a real clip's first 60 frames, downscaled, as the study's
lossless reference (prepared once per module), and tiny checkpoints (no training)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import torch

from frvsr.bandwidth.reference import Reference, prepare_reference
from frvsr.checkpoint import generator_meta
from frvsr.models import FRVSRNet
from tests.helpers.generators import save_checkpoint, tiny_frvsr

# 1280x720, 29.97 fps. A moving clip: vmaf_v0.6.1 scores identical clips by their motion
# feature too (identical but nearly static clips, e.g. 01_dog at this size, get ~98.5).
CLIP = "videos/03_blocks.mp4"
HEIGHT = 144  # -> 256x144 reference, 64x36 LR at x4


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> Path:
    path = shared_data / CLIP
    if not path.is_file():
        pytest.skip(f"{path} missing")
    return path


@pytest.fixture(scope="module")
def reference(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The first 60 frames at 256x144 and their bd_tecogan x4 LR (lossless work files)."""
    work = tmp_path_factory.mktemp("ladder_ref")
    return prepare_reference(clip, work, 4, "bd_tecogan", frames=60, height=HEIGHT)


def adaptable_checkpoint(path: Path) -> Path:
    """A tiny FRVSR checkpoint whose meta also names the generator class and widths, as
    training writes them, so ``model.init_from`` accepts it (adaptation)."""
    save_checkpoint(path, tiny_frvsr())
    entry = torch.load(path, weights_only=False)
    sr_net = partial(FRVSRNet, num_feat=8, num_block=1, skip="bicubic_phase0")
    entry["frvsr"]["meta"].update(generator_meta(sr_net, 4, True))
    torch.save(entry, path)
    return path
