"""Adaptation's weights are counted: only changed tensors, fp16, compressed, as kbit/s."""
from __future__ import annotations

import lzma
import zlib

import pytest
import torch

from frvsr.bandwidth.adapt import break_even_s, overhead_kbps, weight_payload
from tests.helpers.generators import tiny_frvsr


def test_changed_weights_are_counted_and_spread_over_the_clip() -> None:
    base = tiny_frvsr().model.state_dict()
    adapted = {k: v.clone() for k, v in base.items()}
    changed = [k for k in sorted(base) if k.startswith("sr_net.") and
               torch.is_floating_point(base[k])]
    torch.manual_seed(0)
    for k in changed:
        adapted[k] += 1e-3 * torch.randn_like(adapted[k])
    payload, client = weight_payload(base, adapted)
    assert set(payload.tensors) == set(changed)  # the frozen flow net costs nothing
    assert payload.params == sum(base[k].numel() for k in changed)
    assert payload.raw_bytes == 2 * payload.params + 4 * len(changed)  # fp16 + an index each
    assert 0 < payload.bytes <= payload.raw_bytes
    duration = 2.2  # seconds
    assert payload.kbps(duration) == pytest.approx(payload.bytes * 8 / duration / 1000)
    assert overhead_kbps(1000, 2.0) == pytest.approx(4.0)
    for k in base:  # the client runs base + fp16(delta), close to the adapted weights
        atol = 1e-6 if k in changed else 0.0
        assert torch.allclose(client[k], adapted[k], atol=atol, rtol=1e-3), k
    assert payload.codec in ("lzma", "zlib")


def test_compression_is_the_smaller_of_zlib_and_lzma() -> None:
    base = {"w": torch.zeros(1000)}
    payload, _ = weight_payload(base, {"w": torch.full((1000,), 0.5)})
    blob = (0).to_bytes(4, "little") + torch.full((1000,), 0.5).half().numpy().tobytes()
    assert payload.bytes == min(len(zlib.compress(blob, 9)),
                                len(lzma.compress(blob, preset=9 | lzma.PRESET_EXTREME)))


def test_nothing_changed_costs_nothing_and_break_even() -> None:
    base = tiny_frvsr().model.state_dict()
    payload, _ = weight_payload(base, base)
    assert payload.bytes == 0 and payload.tensors == ()
    assert break_even_s(10_000, 0.0) is None
    assert break_even_s(10_000, 8.0) == pytest.approx(10.0)  # 80 kbit at 8 kbit/s saved
