"""GAN step isolation: the generator half changes only the generator, the discriminator
half only the discriminator (parameters and normalisation buffers compared exactly).

The spatio-temporal discriminator has BatchNorm. It runs in train mode in both halves
(as in TecoGAN), and GANModule restores its running statistics after the generator
half, so only the discriminator half moves them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from frvsr.lit.fit import fit as train
from frvsr.lit.gan_module import GANModule
from tests.helpers.lit import TINY_GAN, compose_train


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    state = {f"p:{k}": v.detach().clone() for k, v in module.named_parameters()}
    state.update({f"b:{k}": v.detach().clone() for k, v in module.named_buffers()})
    return state


def _changed(before: dict[str, torch.Tensor], module: nn.Module) -> set[str]:
    after = _snapshot(module)
    return {k for k, v in before.items() if not torch.equal(v, after[k])}


@pytest.mark.parametrize("disc", ["spatio_temporal", "spatial"])
def test_each_half_updates_only_its_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disc: str
) -> None:
    records: list[tuple[str, set[str], set[str]]] = []
    g_step, d_step = GANModule.generator_step, GANModule.discriminator_step

    def recording_g(self: GANModule, *args: Any) -> Any:
        g, d = _snapshot(self.generator), _snapshot(self.discriminator)
        out = g_step(self, *args)
        records.append(("g", _changed(g, self.generator), _changed(d, self.discriminator)))
        return out

    def recording_d(self: GANModule, *args: Any) -> Any:
        g, d = _snapshot(self.generator), _snapshot(self.discriminator)
        out = d_step(self, *args)
        records.append(("d", _changed(g, self.generator), _changed(d, self.discriminator)))
        return out

    monkeypatch.setattr(GANModule, "generator_step", recording_g)
    monkeypatch.setattr(GANModule, "discriminator_step", recording_d)
    cfg = compose_train(tmp_path, [
        "experiment=gan", *TINY_GAN, f"model/discriminator={disc}",
        "model.d_update=every", "model.init_from=none", "trainer.max_steps=2",
        "trainer.val_check_interval=1000", "model.perceptual_loss.weight=0",
    ])
    train(cfg)
    assert [r[0] for r in records] == ["g", "d", "g", "d"]
    for half, g_changed, d_changed in records:
        if half == "g":
            assert g_changed and not d_changed, (g_changed, d_changed)
        else:
            assert not g_changed, g_changed
            assert any(k.startswith("p:") for k in d_changed)
