"""Size-dependent ops trace with symbolic height/width (torch.export, as the ONNX export does)
and the captured graph reproduces eager PyTorch at sizes other than the traced one."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn
from torch.export import Dim

from frvsr.inference.onnx_export import capture
from frvsr.models import FNet
from frvsr.models.blocks import upsample_bicubic_tecogan
from frvsr.ops import flow_warp, upsample_bicubic_phase0, upsample_flow

TRACE, OTHER = (24, 32), [(21, 37), (30, 44), (8, 9)]


class _Fn(nn.Module):
    def __init__(self, fn: Callable[..., Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return self.fn(a, b)


def _inputs(size: tuple[int, int], channels: tuple[int, int]) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(size[0] * 100 + size[1])
    a = torch.rand(1, channels[0], *size, generator=gen)
    b = torch.rand(1, channels[1], *size, generator=gen) * 6 - 3
    return a, b


CASES: dict[str, tuple[Callable[..., Tensor], tuple[int, int]]] = {
    "flow_warp": (flow_warp, (3, 2)),
    "phase0": (lambda a, b: upsample_bicubic_phase0(a, 4) + b.mean(), (3, 1)),
    "phase0_x3": (lambda a, b: upsample_bicubic_phase0(a, 3) + b.mean(), (3, 1)),
    "tecogan": (lambda a, b: upsample_bicubic_tecogan(a, 4) + b.mean(), (3, 1)),
    "warp_hr": (lambda a, b: flow_warp(upsample_bicubic_phase0(a, 2), upsample_flow(b, 2)),
                (3, 2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_exports_with_symbolic_size(name: str) -> None:
    fn, channels = CASES[name]
    h, w = Dim("height", min=8), Dim("width", min=8)
    program = capture(_Fn(fn), _inputs(TRACE, channels),
                      {"a": {2: h, 3: w}, "b": {2: h, 3: w}}).module()
    for size in OTHER:
        a, b = _inputs(size, channels)
        torch.testing.assert_close(program(a, b), fn(a, b), rtol=0, atol=1e-6)


@pytest.mark.parametrize("policy", ["pad", "reflect_flow"])
def test_fnet_exports_with_symbolic_size(policy: str) -> None:
    torch.manual_seed(0)
    net = FNet(size_policy=policy).eval()  # type: ignore[arg-type]
    h, w = Dim("height", min=8), Dim("width", min=8)
    program = capture(_Fn(net), (torch.rand(1, 3, *TRACE), torch.rand(1, 3, *TRACE)),
                      {"a": {2: h, 3: w}, "b": {2: h, 3: w}}).module()
    for size in OTHER:
        a, b = torch.rand(1, 3, *size), torch.rand(1, 3, *size)
        with torch.no_grad():
            torch.testing.assert_close(program(a, b), net(a, b), rtol=0, atol=1e-6)


def test_size_branch_is_reported_not_pinned() -> None:
    def branchy(a: Tensor, b: Tensor) -> Tensor:
        return a[..., :-1] if a.shape[-1] % 2 else a + b.mean()

    h, w = Dim("height", min=8), Dim("width", min=8)
    with pytest.raises(RuntimeError, match="branches on the frame size"):
        capture(_Fn(branchy), _inputs(TRACE, (3, 1)), {"a": {2: h, 3: w}, "b": {2: h, 3: w}})
