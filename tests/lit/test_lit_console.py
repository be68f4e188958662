"""What a run says and leaves for a person: the start line, step progress, model vs bicubic
at every validation and at the end, train.log, labelled samples, quiet Lightning, the
finished-run message, the CPU time guard and the no-GPU error (issue 12)."""
from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from frvsr.callbacks.report import ParameterSummary, RunReport
from frvsr.errors import ConfigError
from frvsr.io.video import decode_frames, probe_video
from frvsr.lit.fit import fit as train
from tests.helpers.lit import TINY, compose_train

RUN = "pretrain/first"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """One tiny pretraining run with progress lines and videos: (runs root, stdout,
    Lightning log records)."""
    tmp = tmp_path_factory.mktemp("console")
    records = _Records()
    lightning_log = logging.getLogger("lightning.pytorch")
    lightning_log.addHandler(records)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            train(compose_train(tmp, ["experiment=pretrain", *TINY, "trainer.max_steps=2",
                                      "trainer.val_check_interval=1",
                                      "trainer.enable_progress_bar=true",
                                      "callbacks.samples.video=true"], name=RUN))
    finally:
        lightning_log.removeHandler(records)
    return tmp, out.getvalue(), records.messages


def test_start_progress_validation_and_final_lines(run: tuple[Path, str, list[str]]) -> None:
    tmp, out, _ = run
    lines = out.splitlines()
    start = next(ln for ln in lines if ln.startswith("[frvsr] pretrain: training"))
    assert "parameters" in start and "2 steps" in start and "on cpu" in start
    assert str(tmp / RUN) in start
    assert "[frvsr] pretrain step 2/2 (100%)" in out and "step/s" in out
    vals = [ln for ln in lines if ln.startswith("[frvsr] validation at step")]
    assert [ln.split()[4] for ln in vals] == ["1/2", "2/2"]
    for line in vals:
        assert "model vs bicubic: PSNR-Y" in line and " dB (" in line and "tOF" in line
        assert "tFlicker" in line and "LPIPS" not in line  # LPIPS: GAN stage only
    final = next(ln for ln in lines if ln.startswith("[frvsr] final"))
    assert "validation at step 2" in final and "vs" in final and "bicubic" in final
    assert "[frvsr] pretrain finished: 2 steps in" in out


def test_train_log_holds_the_console_lines(run: tuple[Path, str, list[str]]) -> None:
    tmp, out, _ = run
    log = (tmp / RUN / "train.log").read_text()
    said = [ln for ln in out.splitlines() if ln.startswith("[frvsr]")]
    assert len(said) >= 7
    for line in said:
        assert line in log, line


def test_quiet_by_default(run: tuple[Path, str, list[str]]) -> None:
    _, out, records = run
    assert not [m for m in records if "GPU available" in m or "Tip" in m]
    for noise in ("Epoch", "FLOPs", "Tip", "it/s]"):
        assert noise not in out, noise


def test_samples_are_labelled_grids_and_split_screen_videos(
    run: tuple[Path, str, list[str]]
) -> None:
    import cv2

    tmp, _, _ = run
    samples = tmp / RUN / "samples"
    assert sorted(p.name for p in samples.iterdir()) == [
        "step0000001_0.mp4", "step0000001_0.png", "step0000002_0.mp4", "step0000002_0.png"]
    grid = cv2.imread(str(samples / "step0000002_0.png"))
    hr = 16 * 4  # TINY: data.val_crop=16 LR px
    assert grid.shape[1] == 3 * hr and grid.shape[0] > hr  # label strip above the tiles
    assert grid[: grid.shape[0] - hr].max() == 255  # white text on it
    from frvsr.data.sources import sample_video_path

    source = sample_video_path()
    info = probe_video(samples / "step0000002_0.mp4")
    assert info.fps == probe_video(source).fps >= 10  # the clip's own frame rate
    frames = list(decode_frames(samples / "step0000002_0.mp4"))
    assert len(frames) >= 30 and frames[0].shape[:2] == (hr, hr)  # more than validation's 3
    assert (frames[0][hr // 2:, hr // 2 - 1: hr // 2 + 1] > 200).all()  # the divider


def test_finished_run_says_so_and_leaves_no_run_folder(
    run: tuple[Path, str, list[str]], capsys: pytest.CaptureFixture
) -> None:
    tmp, _, _ = run
    again = tmp / "pretrain" / "again"
    result = train(compose_train(tmp, ["experiment=pretrain", *TINY, "trainer.max_steps=2",
                                       "ckpt_path=last"], name="pretrain/again"))
    out = capsys.readouterr().out
    assert result is None and not again.exists()
    assert "is a finished run" in out and "raise trainer.max_steps" in out
    assert "trainer.max_steps=4 ckpt_path=last" in out


def test_a_run_that_never_validated_says_why(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    train(compose_train(tmp_path, ["experiment=pretrain", *TINY, "trainer.max_steps=2",
                                   "trainer.val_check_interval=1000"]))
    final = [ln for ln in capsys.readouterr().out.splitlines() if "final" in ln]
    assert len(final) == 1 and "not validated" in final[0]
    assert "trainer.val_check_interval=1000 is larger than the 2 steps" in final[0]


def test_a_long_cpu_run_stops_after_five_steps(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="experiment=pretrain") as info:
        train(compose_train(tmp_path, ["experiment=pretrain", *TINY,
                                       "trainer.max_steps=100000000",
                                       "trainer.val_check_interval=100000000"]))
    assert "force=true" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "run" / "checkpoints").exists()  # stopped before any was due


def _fake(step: int, device: str = "cpu") -> tuple[SimpleNamespace, SimpleNamespace]:
    strategy = SimpleNamespace(root_device=torch.device(device),
                               broadcast=lambda obj, src=0: obj)
    return SimpleNamespace(strategy=strategy), SimpleNamespace(iteration=torch.tensor(step))


@pytest.mark.parametrize(("force", "device", "stops"),
                         [(False, "cpu", True), (True, "cpu", False), (False, "meta", False)])
def test_time_guard_only_on_cpu_unless_forced(
    force: bool, device: str, stops: bool, capsys: pytest.CaptureFixture
) -> None:
    report = RunReport("pretrain", "out", force=force, limit_minutes=1e-9)
    report.total, report._t0 = 100, 1.0
    for step in range(1, 6):
        trainer, module = _fake(step, device)
        if step == 5 and stops:
            with pytest.raises(ConfigError, match="force=true"):
                report.on_train_batch_end(trainer, module, None, None, step)
        else:
            report.on_train_batch_end(trainer, module, None, None, step)
    if not stops:
        assert "estimated training time" in capsys.readouterr().out


def test_verbose_summary_has_no_flops_line(capsys: pytest.CaptureFixture) -> None:
    data = [(" ", ["0"]), ("Name", ["generator"]), ("Type", ["FRVSR"]), ("Params", ["1.9 M"]),
            ("Mode", ["train"]), ("FLOPs", ["0"])]
    ParameterSummary.summarize(data, 1_900_000, 1_900_000, 7.4, {"train": 60, "eval": 0}, 0)
    out = capsys.readouterr().out
    assert "Total params" in out and "generator" in out and "FLOPs" not in out
    assert "Flops" not in out


@pytest.mark.parametrize("override", ["trainer=gpu", "trainer.accelerator=gpu"])
def test_gpu_without_a_gpu_is_one_line(override: str, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="no CUDA GPU") as info:
        cpu_free = [o for o in TINY if not o.startswith("trainer.accelerator")]
        train(compose_train(tmp_path, ["experiment=pretrain", *cpu_free, override,
                                       "trainer.precision=32-true"]))
    assert "use trainer=cpu" in str(info.value) and "\n" not in str(info.value)
