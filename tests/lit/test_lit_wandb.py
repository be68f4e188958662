"""wandb without an API key: offline run with the sync hint (and without wandb's own banner
or its anonymous-setting warning), metrics, image grids and split-screen clips from the
validation clip; resuming continues the same wandb run."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from frvsr.lit.fit import fit as train
from tests.helpers.lit import TINY, compose_train


@pytest.mark.slow
def test_offline_wandb_media_and_resume_same_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    overrides = ["experiment=pretrain", *TINY, "logger=wandb", "callbacks.samples.video=true",
                 "data.val_max_frames=4"]
    train(compose_train(tmp_path, overrides, name="pretrain/first"))
    out, err = capfd.readouterr()
    assert "wandb sync" in out and "offline" in out
    assert "anonymous" not in out + err  # Lightning's anonymous=None argument is dropped
    assert not [ln for ln in (out + err).splitlines() if ln.startswith("wandb:")]  # quiet
    runs = list((tmp_path / "pretrain/first/wandb").glob("offline-run-*"))
    assert len(runs) == 1
    media = runs[0] / "files" / "media"
    assert list(media.rglob("*.png")) and list(media.rglob("*.mp4"))
    first_id = torch.load(tmp_path / "pretrain/first/checkpoints/last.ckpt",
                          weights_only=True)["frvsr"]["meta"]["wandb_id"]
    assert first_id and runs[0].name.endswith(first_id)
    assert list(runs[0].glob("run-*.wandb"))  # metrics and the resolved config live here

    train(compose_train(tmp_path, [*overrides, "trainer.max_steps=4", "ckpt_path=last"],
                        name="pretrain/second"))
    assert f"continuing run {first_id}" in capfd.readouterr().out
    second = list((tmp_path / "pretrain/second/wandb").glob("offline-run-*"))
    assert second and second[0].name.endswith(first_id)
