"""The demo's learning curve: validation PSNR-Y against backbone updates, FRVSR and the
frame-by-frame model on one chart, the bicubic baseline as a line (from the runs' CSV
logs: `<run>/csv/version_*/metrics.csv`, columns `step`, `val/psnr_y`,
`val_bicubic/psnr_y`)."""
from __future__ import annotations

import csv
from pathlib import Path

from frvsr.io.atomic import atomic_path


def validation_curve(run_dir: Path, metric: str = "val/psnr_y") -> list[tuple[int, float]]:
    """(iteration, value) of every validation logged under `run_dir` (all CSV versions:
    a resumed run continues in a new one), sorted by iteration, one value per iteration."""
    points: dict[int, float] = {}
    for path in sorted(run_dir.glob("csv/version_*/metrics.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get(metric) and row.get("step"):
                    points[int(float(row["step"]))] = float(row[metric])
    return sorted(points.items())


def plot_learning_curves(curves: dict[str, list[tuple[int, float]]], bicubic: float | None,
                         out: Path, title: str) -> Path:
    """One line per labelled curve (x: backbone updates, y: PSNR-Y in dB), bicubic dashed;
    written atomically to `out` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for label, points in curves.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
    if bicubic is not None:
        ax.axhline(bicubic, color="gray", linestyle="--", label=f"bicubic {bicubic:.2f} dB")
    ax.set_xlabel("backbone updates (steps)")
    ax.set_ylabel("validation PSNR-Y (dB)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return out
