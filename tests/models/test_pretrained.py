"""load_pretrained with state dicts built here from the *published* key sets and shapes
(BasicSR MSRResNet, ESRGAN/Real-ESRGAN RRDBNet, TecoGAN-PyTorch FRNet), checked against
functional re-statements of the published forward passes; weight_layout and
frvsr.checkpoint.load_published (the skip the weights were trained with, issue 11)."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from frvsr.checkpoint import load_published
from frvsr.errors import CheckpointError, ConfigError
from frvsr.models import (
    FRVSR,
    FNet,
    FRVSRNet,
    RRDBNet,
    SRResNet,
    build_tecogan_frnet,
    load_pretrained,
)
from frvsr.models.pretrained import CheckpointMismatchError, weight_layout

State = dict[str, Tensor]


def _conv(sd: State, key: str, out_c: int, in_c: int, k: int = 3) -> None:
    sd[f"{key}.weight"] = torch.randn(out_c, in_c, k, k) * (0.5 / (in_c * k * k) ** 0.5)
    sd[f"{key}.bias"] = torch.randn(out_c) * 0.01


def msrresnet_keys(nf: int, nb: int, scale: int, cin: int = 3) -> State:
    sd: State = {}
    _conv(sd, "conv_first", nf, cin)
    for i in range(nb):
        _conv(sd, f"body.{i}.conv1", nf, nf)
        _conv(sd, f"body.{i}.conv2", nf, nf)
    _conv(sd, "upconv1", nf * (4 if scale == 4 else scale * scale), nf)
    if scale == 4:
        _conv(sd, "upconv2", nf * 4, nf)
    _conv(sd, "conv_hr", nf, nf)
    _conv(sd, "conv_last", 3, nf)
    return sd


def rrdbnet_keys(nf: int, nb: int, gc: int, scale: int) -> State:
    sd: State = {}
    _conv(sd, "conv_first", nf, 12 if scale == 2 else 3)
    for i in range(nb):
        for j in (1, 2, 3):
            for k in range(1, 5):
                _conv(sd, f"body.{i}.rdb{j}.conv{k}", gc, nf + (k - 1) * gc)
            _conv(sd, f"body.{i}.rdb{j}.conv5", nf, nf + 4 * gc)
    for key in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        _conv(sd, key, nf, nf)
    _conv(sd, "conv_last", 3, nf)
    return sd


def frnet_keys(nf: int, nb: int, bd: bool) -> State:
    sd: State = {}
    fnet = [("encoder1", 6, 32), ("encoder2", 32, 64), ("encoder3", 64, 128),
            ("decoder1", 128, 256), ("decoder2", 256, 128), ("decoder3", 128, 64)]
    for name, cin, cout in fnet:
        _conv(sd, f"fnet.{name}.0", cout, cin)
        _conv(sd, f"fnet.{name}.2", cout, cout)
    _conv(sd, "fnet.flow.0", 32, 64)
    _conv(sd, "fnet.flow.2", 2, 32)
    _conv(sd, "srnet.conv_in.0", nf, 3 * 17)
    for i in range(nb):
        _conv(sd, f"srnet.resblocks.{i}.conv.0", nf, nf)
        _conv(sd, f"srnet.resblocks.{i}.conv.2", nf, nf)
    _conv(sd, "srnet.conv_up.0", nf, nf)  # ConvTranspose2d weight: in, out, k, k
    _conv(sd, "srnet.conv_up.2", nf, nf)
    _conv(sd, "srnet.conv_out", 3, nf)
    if bd:  # their BicubicUpsample buffer, stored twice (FRNet and SRNet hold it)
        sd["upsample_func.kernels"] = torch.rand(4, 4)
        sd["srnet.upsample_func.kernels"] = sd["upsample_func.kernels"].clone()
    return sd


def _c(sd: State, key: str, x: Tensor) -> Tensor:
    return F.conv2d(x, sd[f"{key}.weight"], sd[f"{key}.bias"], padding=1)


def ref_msrresnet(sd: State, x: Tensor, nb: int, scale: int) -> Tensor:
    lrelu = functools.partial(F.leaky_relu, negative_slope=0.1)
    out = lrelu(_c(sd, "conv_first", x))
    for i in range(nb):
        out = out + _c(sd, f"body.{i}.conv2", F.relu(_c(sd, f"body.{i}.conv1", out)))
    if scale == 4:
        out = lrelu(F.pixel_shuffle(_c(sd, "upconv1", out), 2))
        out = lrelu(F.pixel_shuffle(_c(sd, "upconv2", out), 2))
    else:
        out = lrelu(F.pixel_shuffle(_c(sd, "upconv1", out), scale))
    out = _c(sd, "conv_last", lrelu(_c(sd, "conv_hr", out)))
    return out + F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def ref_rrdbnet(sd: State, x: Tensor, nb: int, scale: int) -> Tensor:
    lrelu = functools.partial(F.leaky_relu, negative_slope=0.2)
    feat = _c(sd, "conv_first", F.pixel_unshuffle(x, 2) if scale == 2 else x)
    body = feat
    for i in range(nb):
        block_in = body
        for j in (1, 2, 3):
            xs = [body]
            for k in range(1, 5):
                xs.append(lrelu(_c(sd, f"body.{i}.rdb{j}.conv{k}", torch.cat(xs, 1))))
            body = body + 0.2 * _c(sd, f"body.{i}.rdb{j}.conv5", torch.cat(xs, 1))
        body = block_in + 0.2 * body
    feat = feat + _c(sd, "conv_body", body)
    for key in ("conv_up1", "conv_up2"):
        feat = lrelu(_c(sd, key, F.interpolate(feat, scale_factor=2, mode="nearest")))
    return _c(sd, "conv_last", lrelu(_c(sd, "conv_hr", feat)))


def ref_bicubic(x: Tensor, s: int, a: float = -0.75) -> Tensor:
    """Separable cubic convolution, HR pixel s*i+d from LR pixels i-1..i+2 (edges clamped)."""
    def kernel(t: float) -> float:
        t = abs(t)
        return (a + 2) * t**3 - (a + 3) * t**2 + 1 if t <= 1 else a * (t**3 - 5 * t**2 + 8 * t - 4)

    def matrix(n: int) -> Tensor:
        m = torch.zeros(s * n, n, dtype=torch.float64)
        for j in range(s * n):
            i, t = divmod(j, s)
            for k in (-1, 0, 1, 2):
                m[j, min(max(i + k, 0), n - 1)] += kernel(k - t / s)
        return m.to(x.dtype)

    return torch.einsum("Hh,bchw,Ww->bcHW", matrix(x.shape[-2]), x, matrix(x.shape[-1]))


def ref_warp(x: Tensor, flow: Tensor) -> Tensor:
    n, _, h, w = x.shape
    gx = torch.linspace(-1.0, 1.0, w).view(1, 1, w).expand(n, h, w) + flow[:, 0] / ((w - 1) / 2)
    gy = torch.linspace(-1.0, 1.0, h).view(1, h, 1).expand(n, h, w) + flow[:, 1] / ((h - 1) / 2)
    grid = torch.stack([gx, gy], -1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


def ref_frnet_step(
    sd: State, nb: int, bd: bool, cur: Tensor, prev: Tensor, hr_prev: Tensor
) -> Tensor:
    """TecoGAN-PyTorch FRNet.step, re-stated: FNet on (cur, prev), flow reflect-padded,
    upsampled x4 and scaled, previous HR warped, tf-order space-to-depth, SRNet + skip."""
    up = (lambda t: ref_bicubic(t, 4)) if bd else (
        lambda t: F.interpolate(t, scale_factor=4, mode="bilinear", align_corners=False))
    lrelu = functools.partial(F.leaky_relu, negative_slope=0.2)
    out = torch.cat([cur, prev], 1)
    for name in ("encoder1", "encoder2", "encoder3"):
        out = F.max_pool2d(lrelu(_c(sd, f"fnet.{name}.2", lrelu(_c(sd, f"fnet.{name}.0", out)))), 2)
    for name in ("decoder1", "decoder2", "decoder3"):
        out = lrelu(_c(sd, f"fnet.{name}.2", lrelu(_c(sd, f"fnet.{name}.0", out))))
        out = F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False)
    flow = torch.tanh(_c(sd, "fnet.flow.2", lrelu(_c(sd, "fnet.flow.0", out)))) * 24
    h, w = cur.shape[-2:]
    flow = F.pad(flow, (0, w - flow.shape[-1], 0, h - flow.shape[-2]), mode="reflect")
    warped = ref_warp(hr_prev, 4 * up(flow))
    n, c = warped.shape[:2]
    s2d = F.pixel_unshuffle(warped, 4).view(n, c, 16, h, w).transpose(1, 2).reshape(n, 16 * c, h, w)
    out = F.relu(_c(sd, "srnet.conv_in.0", torch.cat([cur, s2d], 1)))
    for i in range(nb):
        key = f"srnet.resblocks.{i}.conv"
        out = out + _c(sd, f"{key}.2", F.relu(_c(sd, f"{key}.0", out)))
    for key in ("srnet.conv_up.0", "srnet.conv_up.2"):
        out = F.relu(F.conv_transpose2d(out, sd[f"{key}.weight"], sd[f"{key}.bias"], 2, 1, 1))
    return _c(sd, "srnet.conv_out", out) + up(cur)


def _save(tmp_path: Path, obj: object, name: str = "w.pth") -> Path:
    path = tmp_path / name
    torch.save(obj, path)
    return path


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_msrresnet_published_weights_reproduce_and_skip(tmp_path: Path, scale: int) -> None:
    torch.manual_seed(scale)
    sd, decoy = msrresnet_keys(8, 2, scale), msrresnet_keys(8, 2, scale)
    path = _save(tmp_path, {"params": decoy, "params_ema": sd})  # BasicSR prefers EMA
    net = load_pretrained(SRResNet(num_feat=8, num_block=2, scale=scale), path)
    x = torch.rand(1, 3, 7, 6)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref_msrresnet(sd, x, 2, scale), rtol=0, atol=1e-5)
        net.conv_last.weight.zero_()
        net.conv_last.bias.zero_()
        assert torch.equal(net(x), F.interpolate(x, scale_factor=scale, mode="bilinear"))


@pytest.mark.parametrize("scale", [2, 4])
def test_rrdbnet_published_weights_reproduce_and_skip(tmp_path: Path, scale: int) -> None:
    torch.manual_seed(scale)
    sd = rrdbnet_keys(8, 2, 4, scale)
    path = _save(tmp_path, {"params_ema": sd})
    net = load_pretrained(RRDBNet(num_feat=8, num_block=2, num_grow_ch=4, scale=scale), path)
    x = torch.rand(1, 3, 6, 8)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref_rrdbnet(sd, x, 2, scale), rtol=0, atol=1e-5)
        net.conv_last.weight.zero_()
        net.conv_last.bias.zero_()
        assert torch.equal(net(x), torch.zeros(1, 3, 6 * scale, 8 * scale))  # no image skip


@pytest.mark.parametrize("bd", [True, False])
@pytest.mark.parametrize("size", [(16, 24), (13, 19)])
def test_tecogan_frnet_weights_reproduce_their_step(
    tmp_path: Path, bd: bool, size: tuple[int, int]
) -> None:
    torch.manual_seed(int(bd))
    sd = frnet_keys(8, 2, bd)
    model = load_pretrained(build_tecogan_frnet(8, 2, "BD" if bd else "BI"), _save(tmp_path, sd))
    lr = torch.rand(1, 3, 3, *size)
    hr_prev = torch.zeros(1, 3, 4 * size[0], 4 * size[1])
    with torch.no_grad():
        state = None
        for t in range(3):
            sr, state = model.step(lr[:, t], state)
            prev = lr[:, t - 1] if t else torch.zeros_like(lr[:, 0])
            ref = ref_frnet_step(sd, 2, bd, lr[:, t], prev, hr_prev)
            torch.testing.assert_close(sr, ref, rtol=0, atol=1e-5)
            hr_prev = ref
        model.sr_net.conv_out.weight.zero_()
        model.sr_net.conv_out.bias.zero_()
        bilinear = F.interpolate(lr[:, 0], scale_factor=4, mode="bilinear")
        skip = ref_bicubic(lr[:, 0], 4) if bd else bilinear
        torch.testing.assert_close(model.step(lr[:, 0])[0], skip, rtol=0, atol=1e-6)
        if bd:
            from frvsr.models import upsample_bicubic_tecogan

            assert torch.equal(model.step(lr[:, 0])[0], upsample_bicubic_tecogan(lr[:, 0], 4))


def test_tecogan_bd_weights_into_bilinear_model_warn(tmp_path: Path) -> None:
    model = FRVSR(FNet(), functools.partial(FRVSRNet, num_feat=8, num_block=2), scale=4)
    with pytest.warns(UserWarning, match="build_tecogan_frnet"):
        load_pretrained(model, _save(tmp_path, frnet_keys(8, 2, bd=True)))


def test_own_checkpoints_with_prefix_round_trip(tmp_path: Path) -> None:
    model = FRVSR(FNet(), functools.partial(FRVSRNet, num_feat=8, num_block=1), scale=2)
    wrapped = {"state_dict": {f"generator.{k}": v for k, v in model.state_dict().items()},
               "epoch": 3}
    fresh = FRVSR(FNet(), functools.partial(FRVSRNet, num_feat=8, num_block=1), scale=2)
    load_pretrained(fresh, _save(tmp_path, wrapped))
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v)
    module_prefixed = {f"module.{k}": v for k, v in msrresnet_keys(8, 1, 4).items()}
    load_pretrained(SRResNet(num_feat=8, num_block=1), _save(tmp_path, module_prefixed, "m.pth"))


def test_mismatch_is_one_clear_error(tmp_path: Path) -> None:
    path = _save(tmp_path, {"params": msrresnet_keys(8, 2, 4)})
    with pytest.raises(CheckpointMismatchError) as err:
        load_pretrained(SRResNet(num_feat=8, num_block=3, scale=4), path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg
    assert "missing 4: body.2.conv1.weight (8, 8, 3, 3)" in msg
    with pytest.raises(CheckpointMismatchError, match=r"shape mismatches .*conv_first.weight"):
        load_pretrained(SRResNet(num_feat=16, num_block=2, scale=4), path)
    with pytest.raises(CheckpointMismatchError, match=r"unexpected \d+: upconv2"):
        load_pretrained(SRResNet(num_feat=8, num_block=2, scale=2), path)
    with pytest.raises(FileNotFoundError, match="no weight file"):
        load_pretrained(SRResNet(), tmp_path / "absent.pth")


def test_original_esrgan_and_mmsr_key_names(tmp_path: Path) -> None:
    sd = rrdbnet_keys(8, 1, 4, 4)
    legacy = {
        "conv_body": "trunk_conv", "conv_up1": "upconv1", "conv_up2": "upconv2",
        "conv_hr": "HRconv",
    }
    old: State = {}
    for key, value in sd.items():
        head, rest = key.split(".", 1)
        if head == "body":
            i, rdb, tail = rest.split(".", 2)
            old[f"RRDB_trunk.{i}.RDB{rdb[-1]}.{tail}"] = value
        else:
            old[f"{legacy.get(head, head)}.{rest}"] = value
    net = load_pretrained(RRDBNet(num_feat=8, num_block=1, num_grow_ch=4), _save(tmp_path, old))
    x = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref_rrdbnet(sd, x, 1, 4), rtol=0, atol=1e-5)
    mmsr = {k.replace("body.", "recon_trunk.").replace("conv_hr", "HRconv"): v
            for k, v in msrresnet_keys(8, 1, 4).items()}
    load_pretrained(SRResNet(num_feat=8, num_block=1), _save(tmp_path, mmsr, "mmsr.pth"))


def test_frvsr_training_checkpoint_prefers_ema(tmp_path: Path) -> None:
    make = functools.partial(FRVSRNet, num_feat=8, num_block=1)
    live, ema = FRVSR(FNet(), make, scale=2), FRVSR(FNet(), make, scale=2)
    state = {f"generator.{k}": v for k, v in live.state_dict().items()}
    state |= {f"generator_ema.{k}": v for k, v in ema.state_dict().items()}
    state["discriminator.conv_in.0.weight"] = torch.zeros(8, 27, 3, 3)
    path = _save(tmp_path, {"state_dict": state, "frvsr": {"meta": {"scale": 2}}})
    fresh = load_pretrained(FRVSR(FNet(), make, scale=2), path)
    for k, v in ema.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointMismatchError, match="cannot be read"):
        load_pretrained(fresh, tmp_path / "junk.pth")


# --- published weights as a ready generator (issue 11, case 6) --------------------------


def test_weight_layout_tells_the_origins_apart() -> None:
    msr, rrdb = msrresnet_keys(8, 1, 4), rrdbnet_keys(8, 1, 4, 4)
    assert weight_layout(msr) == weight_layout({f"module.{k}": v for k, v in msr.items()})
    assert (weight_layout(msr).generator, weight_layout(msr).skip) == ("srresnet", "bilinear")
    legacy = {k.replace("body.", "recon_trunk."): v for k, v in msr.items()}
    assert weight_layout(legacy).origin == "BasicSR MSRResNet"
    assert (weight_layout(rrdb).generator, weight_layout(rrdb).skip) == ("rrdbnet", "none")
    bd, bi = weight_layout(frnet_keys(8, 1, True)), weight_layout(frnet_keys(8, 1, False))
    assert bd.recurrent and (bd.skip, bd.degradation) == ("bicubic_tecogan", "bd_tecogan")
    assert (bi.skip, bi.degradation) == ("bilinear", "bi")
    own = weight_layout({f"generator.{k}": v for k, v in msr.items()})
    assert own is not None and own.skip is None  # frvsr's own: the skip is in its config
    assert weight_layout({"conv.weight": torch.zeros(1)}) is None


def test_load_published_reproduces_the_published_forwards(tmp_path: Path) -> None:
    """The configs default to the BD skip; the weights' own skip is taken from their layout."""
    torch.manual_seed(0)
    x = torch.rand(1, 3, 6, 7)
    msr = msrresnet_keys(8, 2, 4)
    path = _save(tmp_path, {"params_ema": msr, "params": msrresnet_keys(8, 2, 4)}, "msr.pth")
    small = ["model.generator.num_feat=8", "model.generator.num_block=2"]
    loaded = load_published(path, "srresnet", 4, small)
    assert loaded.model.skip == "bilinear" and loaded.degradation == "bi" and loaded.ema
    assert not loaded.recurrent and loaded.scale == 4
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), ref_msrresnet(msr, x, 2, 4), rtol=0,
                                   atol=1e-5)
    rrdb = rrdbnet_keys(8, 1, 4, 4)
    loaded = load_published(_save(tmp_path, rrdb, "rrdb.pth"), "rrdbnet", 4,
                            ["model.generator.num_feat=8", "model.generator.num_block=1",
                             "model.generator.num_grow_ch=4"])
    assert loaded.model.skip == "none" and not loaded.ema
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), ref_rrdbnet(rrdb, x, 1, 4), rtol=0,
                                   atol=1e-5)
    frnet = frnet_keys(8, 2, bd=True)
    loaded = load_published(_save(tmp_path, frnet, "frnet.pth"), "frvsr_net", 4, small)
    assert loaded.recurrent and loaded.degradation == "bd_tecogan"
    lr = torch.rand(1, 3, 16, 24)  # FNet pools three times
    with torch.no_grad():
        sr, _ = loaded.model.step(lr)
        ref = ref_frnet_step(frnet, 2, True, lr, torch.zeros_like(lr), torch.zeros(1, 3, 64, 96))
        torch.testing.assert_close(sr, ref, rtol=0, atol=1e-5)


def test_load_published_refuses_what_would_cost_db(tmp_path: Path) -> None:
    path = _save(tmp_path, {"params": msrresnet_keys(8, 1, 4)}, "msr.pth")
    small = ["model.generator.num_feat=8", "model.generator.num_block=1"]
    with pytest.raises(ConfigError, match=r"trained with the bilinear skip; "
                       r"model.generator.skip=bicubic_phase0 would cost 2-3 dB: pass "
                       r"model.generator.skip=bilinear"):
        load_published(path, "srresnet", 4, [*small, "model.generator.skip=bicubic_phase0"])
    load_published(path, "srresnet", 4, [*small, "model.generator.skip=bilinear"])  # agrees
    with pytest.raises(ConfigError, match="holds BasicSR MSRResNet weights; pass "
                       "model/generator=srresnet"):
        load_published(path, "rrdbnet", 4, small)
    with pytest.raises(CheckpointMismatchError, match="unexpected"):
        load_published(path, "srresnet", 2, small)  # x4 weights at x2
    unknown = _save(tmp_path, {"conv_first.weight": torch.zeros(8, 3, 3, 3)}, "u.pth")
    with pytest.raises(ConfigError, match="unknown origin.*pass model.generator.skip="):
        load_published(unknown, "espcn", 4, [])
    own = _save(tmp_path, {"frvsr": {"meta": {}}, "state_dict": {"generator.x": torch.zeros(1)}},
                "own.ckpt")
    with pytest.raises(CheckpointError, match="frvsr checkpoint; drop model/generator="):
        load_published(own, "srresnet", 4, [])
    with pytest.raises(ConfigError, match="Could not find 'model/generator/nope'.*srresnet"):
        load_published(_save(tmp_path, {"conv.weight": torch.zeros(1)}, "n.pth"), "nope", 4,
                       ["model.generator.skip=none"])
