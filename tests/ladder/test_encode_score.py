"""Encodes hit their targets below saturation; VMAF of the reference against itself."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from frvsr.bandwidth import encode as enc
from frvsr.bandwidth import methods
from frvsr.bandwidth.reference import Reference
from frvsr.bandwidth.score import score
from frvsr.metrics.vmaf import vmaf_available

needs_vmaf = pytest.mark.skipif(not vmaf_available(), reason="imageio-ffmpeg with libvmaf missing")


def test_reference_files_are_lossless_and_sized(reference: Reference) -> None:
    assert (reference.width, reference.height, reference.frames) == (256, 144, 60)
    assert (reference.lr_width, reference.lr_height) == (64, 36)
    first = next(iter(reference.frames_hr()))
    assert first.shape == (144, 256, 3) and first.dtype == np.uint8


def test_full_resolution_rungs_below_saturation_hit_their_target(reference: Reference,
                                                                 tmp_path: Path) -> None:
    floor = enc.floor_kbps(reference.frames_hr(), tmp_path / "probe.mp4", reference.fps)
    for target in (3 * floor, 6 * floor):  # well above x264's QP-51 floor
        e = enc.flagged(enc.encode_abr(reference.frames_hr(), reference.frames_hr(),
                                       tmp_path / "rung.mp4", reference.fps, target), floor)
        assert e.frames == 60
        assert abs(e.kbps / target - 1) <= enc.TOLERANCE, (target, e.kbps)
        assert e.flag == ""
    assert not list(tmp_path.glob("*stats*")) and not list(tmp_path.glob("*pass1*"))


def test_saturation_flags() -> None:
    assert enc.saturation(10.0, 25.0, floor=20.0) == "floor"  # below the QP-51 probe
    assert enc.saturation(30.0, 40.0, floor=20.0) == "floor"  # overshoot > 15 %
    assert enc.saturation(100.0, 50.0, floor=20.0) == "ceiling"
    assert enc.saturation(100.0, 95.0, floor=20.0) == ""
    assert enc.saturation(None, 95.0, floor=20.0) == ""
    assert enc.default_rungs(1920 * 1080 * 30) == [310.0, 620.0, 1200.0, 2500.0, 5000.0]


@needs_vmaf
def test_vmaf_of_the_reference_against_itself(reference: Reference) -> None:
    """Through the ladder's own libvmaf pipe (the other scores of ``score`` are covered by
    the cached-flow test and the end-to-end run)."""
    from frvsr.bandwidth.score import VmafPipe, vmaf_model

    pipe = VmafPipe(reference.width, reference.height,
                    vmaf_model(reference.width, reference.height))
    try:
        for frame in reference.frames_hr():
            pipe.add(frame, frame)
        assert pipe.finish() >= 99
    finally:
        pipe.close()
    two = list(itertools.islice(reference.frames_hr(), 2))
    s = score(two, two, reference.width, reference.height)
    assert s.psnr_y == float("inf") and s.tof == 0 and s.tflicker == 0 and s.frames == 2


def test_lanczos_sits_on_the_degradation_grid(reference: Reference) -> None:
    """Phase-0 Lanczos beats a centre-aligned one on bd_tecogan LR by a wide margin."""
    from frvsr.io.images import to_float_tensor
    from frvsr.metrics.fidelity import psnr_y

    lr = next(iter(reference.frames_lr()))
    hr = next(iter(reference.frames_hr()))
    aligned = next(methods.lanczos_frames([lr], 4, "bd_tecogan"))
    centred = next(methods.lanczos_frames([lr], 4, "bi"))
    assert aligned.shape == hr.shape
    ref = to_float_tensor(hr)
    assert psnr_y(to_float_tensor(aligned), ref) > psnr_y(to_float_tensor(centred), ref) + 0.5


@needs_vmaf
def test_cached_reference_flows_give_frvsr_tof_and_flicker(reference: Reference,
                                                           tmp_path: Path) -> None:
    import torch

    from frvsr.io.images import to_float_tensor
    from frvsr.metrics.temporal import tflicker, tof

    gt = list(itertools.islice(reference.frames_hr(), 4))
    shown = list(methods.bicubic_frames(itertools.islice(reference.frames_lr(), 4), 4,
                                        "bd_tecogan"))
    first = score(shown, gt, reference.width, reference.height, flows_dir=tmp_path)
    again = score(shown, gt, reference.width, reference.height, flows_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 3 and first == again
    sr_t, gt_t = (torch.stack([to_float_tensor(f) for f in x]) for x in (shown, gt))
    assert first.tof == pytest.approx(tof(sr_t, gt_t), rel=1e-9)
    assert first.tflicker == pytest.approx(tflicker(sr_t, gt_t), rel=1e-9)


def test_vmaf_model_follows_the_output_size() -> None:
    from frvsr.bandwidth.score import vmaf_model

    assert vmaf_model(1920, 1080) == "vmaf_v0.6.1"
    assert vmaf_model(3840, 2160) == vmaf_model(4096, 1716) == "vmaf_4k_v0.6.1"
