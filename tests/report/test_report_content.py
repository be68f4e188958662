"""What the tables and reports show (issue 12, items 10 and 11): terminal tables within 80
columns with a legend, the single-model report's bicubic row, deltas, direction markers,
checkpoint header and conventions table, and the comparison report's zoomed, labelled bar
charts in the table's units, readable headings, crop grid and conventions."""
from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from rich.console import Console

from frvsr.evaluate import parse_args, run
from frvsr.metrics import specs
from frvsr.report import plots
from frvsr.report.html import build_compare_report
from frvsr.report.results import load_results, write_json
from frvsr.report.tables import WIDTH, print_compare, print_table, short_header
from tests.helpers.generators import save_checkpoint, tiny_srresnet

ALL = list(specs.names())


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts, and the <h2> headings."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.headings: list[str] = []
        self.classes: list[list[str]] = []  # per table: the class of each row's cells
        self._cell: list[str] | None = None
        self._h2: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self.classes.append([])
        elif tag == "tr":
            self.tables[-1].append([])
            self.classes[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.classes[-1][-1].append(dict(attrs).get("class") or "")
        elif tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._h2 is not None:
            self.headings.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def parse(page: Path) -> Tables:
    p = Tables()
    p.feed(page.read_text())
    return p


def _value(name: str, rng: np.random.Generator) -> float:
    base = {"psnr_y": 30.0, "psnr_rgb": 28.5, "ssim_y": 0.83, "ssim_rgb": 0.81,
            "lpips_alex": 0.31, "lpips_vgg": 0.42, "tof": 0.51, "tlp": 0.39,
            "ewarp": 0.00166, "tflicker": 2.51, "vmaf": 61.2}[name]
    return base * (1 + 0.05 * rng.standard_normal())


def realistic(method: str, seed: int, clips: tuple[str, ...] = (
        "bikes", "calendar", "a_clip_with_a_rather_long_name_0042")) -> dict:
    """A result as frvsr.evaluate writes it, with every metric of the table."""
    rng = np.random.default_rng(seed)
    cl = {c: {"frames": 55, "scored_frames": 55, "scored_pairs": 54,
              **{m: _value(m, rng) for m in ALL}, "psnr_y_inf_frames": 0,
              "per_frame": {"psnr_y": [_value("psnr_y", rng) for _ in range(55)]}}
          for c in clips}
    means = {m: float(np.mean([c[m] for c in cl.values()])) for m in ALL}
    return {"method": method, "protocol": "basicsr", "metrics": ALL, "conventions": {},
            "clips": cl, "mean_over_clips": means, "mean_over_frames": dict(means),
            "sources": {"sr": "/nonexistent/sr", "gt": "/nonexistent/gt"}}


def _lines(print_fn, *args) -> list[str]:
    console = Console(width=250, record=True, color_system=None)  # wide: no rich wrapping
    print_fn(*args, console)
    return console.export_text().splitlines()


def test_terminal_tables_fit_80_columns_with_a_legend(tmp_path: Path) -> None:
    result = realistic("gan:best-step0000200", 0)
    result["bicubic_reference"] = {"method": "bicubic-bd_tecogan", "source": "b.json",
                                   "mean_over_clips": realistic("b", 9)["mean_over_clips"]}
    lines = _lines(print_table, result)
    assert max(len(line) for line in lines) <= WIDTH, "\n".join(lines)
    text = "\n".join(lines)
    for m in ALL:  # every column, and its abbreviation defined in the legend
        assert short_header(m) in text
        assert f"{specs.get(m).abbrev}={m}" in text.replace("\n", " ")
    labels = [line.split()[0] for line in lines if line.startswith("mean(")]
    assert "mean(clips)" in labels and "mean(frames)" in labels  # told apart
    flat = " ".join(lines)
    assert "mean(clips) = mean_over_clips" in flat and "mean(frames) = mean_over_frames" in flat
    assert any(line.startswith("\u0394 vs bicubic") for line in lines)
    assert "Ewarp=ewarp x1e-3" in flat and "1.6" in text  # ewarp shown x1e-3

    paths = []
    for i, name in enumerate(["bicubic-bd_tecogan", "sisr", "pretrain",
                              "gan:best-step0000200"]):
        paths.append(tmp_path / f"{i}.json")
        write_json(paths[-1], realistic(name, i))
    lines = _lines(print_compare, paths)
    assert max(len(line) for line in lines) <= WIDTH, "\n".join(lines)
    assert sum(line.count("*") for line in lines) == len(ALL) + 1  # a best per column
    assert "\u2191 higher / \u2193 lower is better" in " ".join(lines[-3:])


def _clips(root: Path, n: int = 6, h: int = 48, w: int = 64, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.random((h, w + n, 3)).astype(np.float32), (5, 5), 1)
    big = (255 * (big - big.min()) / (big.max() - big.min())).astype(np.uint8)
    for clip in ("a", "b"):
        (root / clip).mkdir(parents=True)
        for t in range(n):
            cv2.imwrite(str(root / clip / f"{t:03d}.png"), big[:, n - t:n - t + w])
    return root


def test_single_report_has_bicubic_row_deltas_markers_header_and_conventions(
        tmp_path: Path) -> None:
    gt = _clips(tmp_path / "gt")
    ckpt = save_checkpoint(tmp_path / "run" / "last.ckpt", tiny_srresnet())
    data = torch.load(ckpt, weights_only=True)
    data["state_dict"]["iteration"] = torch.tensor(321)
    torch.save(data, ckpt)
    out = tmp_path / "r.json"
    metrics = ["psnr_y", "ssim_y", "tof", "ewarp"]
    result = run(parse_args([f"ckpt={ckpt}", f"gt={gt}", f"out={out}", "threads=1",
                             f"metrics=[{','.join(metrics)}]"]))
    assert result is not None
    ref = result["bicubic_reference"]
    assert ref["method"] == "bicubic" and set(ref["clips"]) == {"a", "b"}
    page = parse(out.with_suffix(".html"))
    facts = dict(row for row in page.tables[0] if len(row) == 2)
    assert facts["checkpoint"] == str(ckpt) and facts["stage"] == "sisr"
    assert facts["iteration"] == "321"

    table = page.tables[1]
    header = table[0]
    for m in metrics:  # readable heading with the direction marker
        assert f"{specs.title(m)} {specs.arrow(m)}" in header
    assert "PSNR-Y (dB) \u2191" in header and "Ewarp (x1e-3) \u2193" in header
    labels = [row[0] for row in table[1:]]
    assert labels[:2] == ["a", "b"]
    assert "mean over clips (mean_over_clips)" in labels
    assert "mean over frames (mean_over_frames)" in labels
    bic = table[labels.index("bicubic, mean over clips") + 1]
    deltas = table[labels.index("\u0394 vs bicubic (mean over clips)") + 1]
    classes = page.classes[1][labels.index("\u0394 vs bicubic (mean over clips)") + 1]
    for j, m in enumerate(metrics, start=2):
        spec = specs.get(m)
        model, base = result["mean_over_clips"][m], ref["mean_over_clips"][m]
        assert bic[j] == specs.format_value(m, base)
        assert float(deltas[j]) == pytest.approx((model - base) * spec.scale,
                                                 abs=10 ** -spec.digits)
        better = (model > base) == specs.higher_is_better(m)
        assert classes[j] == ("better" if better else "worse") or model == base

    conventions = next(t for t in page.tables if t[0][:2] == ["metric", "better"])
    assert [row[0] for row in conventions[1:]] == metrics  # only the metrics computed
    assert conventions[1][1] == "\u2191 higher" and conventions[3][1] == "\u2193 lower"
    assert "Conventions" in page.headings


def test_comparison_bars_zoomed_labelled_in_table_units() -> None:
    values = {"psnr_y": {"bicubic": 29.22, "sisr": 30.51, "gan": 30.43},
              "ewarp": {"bicubic": 0.001394, "sisr": 0.001705, "gan": 0.001666}}
    fig = plots.metric_bars_figure(values)
    psnr_ax, ewarp_ax = fig.axes[:2]
    bottom, top = psnr_ax.get_ylim()
    assert 28 < bottom < 29.22 and 30.51 < top < 31.5  # zoomed: not from 0
    assert [t.get_text() for t in psnr_ax.texts] == ["29.22", "30.51", "30.43"]
    assert [t.get_text() for t in ewarp_ax.texts] == ["1.394", "1.705", "1.666"]  # x1e-3
    low, high = ewarp_ax.get_ylim()
    assert 0 < low < 1.394 and 1.705 < high < 2
    assert psnr_ax.get_title().startswith("PSNR-Y (dB) \u2191")
    assert ewarp_ax.get_title().startswith("Ewarp (x1e-3) \u2193")
    assert [t.get_text() for t in psnr_ax.get_xticklabels()] == ["bicubic", "sisr", "gan"]
    assert plots.zoomed_limits([0.0, 0.01])[0] == 0.0  # non-negative values stay >= 0
    assert math.isclose(sum(plots.zoomed_limits([5.0, 5.0])) / 2, 5.0)


def test_comparison_report_headings_crop_grid_and_conventions(tmp_path: Path) -> None:
    gt = _clips(tmp_path / "gt")
    common = [f"gt={gt}", "degradation=bd_tecogan", "scale=4", "metrics=[psnr_y,ewarp]",
              "report=false", "threads=1"]
    run(parse_args(["baseline=bicubic", f"out={tmp_path / 'bic.json'}", *common]))
    noisy = tmp_path / "noisy"
    for clip in ("a", "b"):
        (noisy / clip).mkdir(parents=True)
        for p in sorted((gt / clip).iterdir()):
            img = cv2.imread(str(p)).astype(np.int16) + 6
            cv2.imwrite(str(noisy / clip / p.name), np.clip(img, 0, 255).astype(np.uint8))
    run(parse_args([f"sr={noisy}", f"gt={gt}", f"out={tmp_path / 'noisy.json'}",
                    "metrics=[psnr_y,ewarp]", "report=false"]))
    paths = [tmp_path / "bic.json", tmp_path / "noisy.json"]
    html_path = tmp_path / "cmp.html"
    build_compare_report(load_results(paths), html_path, paths)
    page = parse(html_path)
    assert "Per-frame PSNR-Y, clip 'a'" in page.headings
    assert not any(re.fullmatch(r"psnr_\w+", h) for h in page.headings)
    assert "Crops side by side" in page.headings and "Conventions" in page.headings
    text = html_path.read_text()
    assert text.count('alt="crop grid"') == 1
    table = next(t for t in page.tables if t[0][0] == "method")
    assert table[0][1:] == ["PSNR-Y (dB) \u2191", "Ewarp (x1e-3) \u2193"]
    noisy_ewarp = json.loads(paths[1].read_text())["mean_over_clips"]["ewarp"]
    assert table[2][2].rstrip("*") == f"{noisy_ewarp * 1e3:.3f}"  # same units as the bars
    assert (tmp_path / "cmp_plots" / "crop_grid.png").is_file()
    conventions = next(t for t in page.tables if t[0][:2] == ["metric", "better"])
    assert [row[0] for row in conventions[1:]] == ["psnr_y", "ewarp"]
