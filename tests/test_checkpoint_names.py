"""Checkpoints name generator classes by a public name that survives file moves; the
module paths that earlier checkpoints stored are mapped to it when read."""
from __future__ import annotations

import functools
from pathlib import Path

import torch
from torch import nn

from frvsr.checkpoint import (
    LEGACY_NAMES,
    canonical_name,
    generator_meta,
    public_name,
    read_frvsr_entry,
)
from frvsr.models import ESPCN, FRVSRNet, RRDBNet, SRResNet


def test_generators_are_recorded_by_their_public_name() -> None:
    for cls in (FRVSRNet, SRResNet, RRDBNet, ESPCN):
        meta = generator_meta(functools.partial(cls, num_feat=8, num_block=1), 4, False)
        assert meta["generator_class"] == f"frvsr.models.{cls.__name__}"


def test_unexported_class_keeps_its_module_path() -> None:
    class Local(nn.Module):
        pass

    assert public_name(Local).endswith("test_unexported_class_keeps_its_module_path.<locals>.Local")


def test_legacy_module_paths_map_to_importable_public_names() -> None:
    import frvsr.models

    for old, new in LEGACY_NAMES.items():
        assert canonical_name(old) == new
        assert getattr(frvsr.models, new.rsplit(".", 1)[1]) is not None
    assert canonical_name("frvsr.models.FRVSRNet") == "frvsr.models.FRVSRNet"
    assert canonical_name(None) is None


def test_reading_an_old_entry_canonicalises_the_class(tmp_path: Path) -> None:
    path = tmp_path / "old.ckpt"
    meta = {"generator_class": "frvsr.models.srresnet.SRResNet", "scale": 4}
    torch.save({"frvsr": {"config": "{}", "meta": meta}, "state_dict": {}}, path)
    assert read_frvsr_entry(path)["meta"]["generator_class"] == "frvsr.models.SRResNet"
