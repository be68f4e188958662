"""Result files of ``frvsr.evaluate``: JSON and CSV (written atomically), loading them back,
and the check that results put side by side were measured the same way."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from frvsr.errors import EvalError
from frvsr.io.atomic import atomic_write_bytes


def jsonable(obj: Any) -> Any:
    """inf -> "inf" (JSON has no infinity); NaN is a bug, never written."""
    if isinstance(obj, float):
        if math.isnan(obj):
            raise ValueError("refusing to write NaN into a result file")
        return "inf" if math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def write_json(path: Path, result: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(jsonable(result), indent=1) + "\n").encode())


def load_result(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise EvalError(f"cannot read result file {path}: {err}") from None
    if not isinstance(data, dict) or "mean_over_clips" not in data or "clips" not in data:
        raise EvalError(f"{path} is not an frvsr.evaluate result file (no mean_over_clips/clips)")
    return data


def write_csv(path: Path, result: dict[str, Any]) -> None:
    """Unformatted numbers (inf as "inf"); one row per clip plus the two means."""
    metrics = result["metrics"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["clip", "scored_frames"] + metrics)
    for name, c in result["clips"].items():
        w.writerow([name, c["scored_frames"]] + [jsonable(c[m]) for m in metrics])
    for key in ("mean_over_clips", "mean_over_frames"):
        w.writerow([key, ""] + [jsonable(result[key][m]) for m in metrics])
    atomic_write_bytes(path, buf.getvalue().encode())


def write_compare_csv(path: Path, results: list[dict[str, Any]]) -> None:
    """A comparison as CSV: one row per method, its unformatted means over clips of the
    metrics every result has (inf as "inf")."""
    metrics = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["method", "protocol"] + metrics)
    for r in results:
        w.writerow([r["method"], r["protocol"]]
                   + [jsonable(r["mean_over_clips"][m]) for m in metrics])
    atomic_write_bytes(path, buf.getvalue().encode())


def _labels(paths: list[Path]) -> list[str]:
    """Shortest path tails (file stem, then parent folders) that tell the files apart."""
    parts = [list(p.with_suffix("").parts) for p in paths]
    for depth in range(1, max(len(x) for x in parts) + 1):
        labels = ["/".join(x[-depth:]) for x in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]


def check_comparable(results: list[dict[str, Any]], paths: list[Path]) -> None:
    """Refuse to rank numbers measured differently: protocol, conventions (crop_border,
    tLP scale, ...), clip sets or frame counts. One line naming both files."""
    ref, ref_path = results[0], paths[0]
    for r, p in zip(results[1:], paths[1:], strict=True):
        pair = f"{ref_path} and {p}"
        if r["protocol"] != ref["protocol"]:
            raise EvalError(f"compare needs results of one protocol; {pair} differ: "
                            f"{ref['protocol']} vs {r['protocol']}")
        a, b = ref.get("conventions", {}), r.get("conventions", {})
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if diff:
            k = diff[0]
            raise EvalError(f"{pair} were scored with different conventions: {k}="
                            f"{a.get(k)!r} vs {b.get(k)!r}; re-run one of them to match")
        only_a, only_b = set(ref["clips"]) - set(r["clips"]), set(r["clips"]) - set(ref["clips"])
        if only_a or only_b:
            side, clip = (ref_path, min(only_a)) if only_a else (p, min(only_b))
            raise EvalError(f"{pair} cover different clips: '{clip}' is only in {side}; "
                            "compare results on the same GT clips")
        for clip, c in ref["clips"].items():
            if c.get("frames") != r["clips"][clip].get("frames"):
                raise EvalError(f"{pair} differ on clip '{clip}': {c.get('frames')} vs "
                                f"{r['clips'][clip].get('frames')} frames")


def load_results(paths: list[Path]) -> list[dict[str, Any]]:
    """Result files for ``compare``, checked to be comparable; equal method names get the
    file's stem (and parent folders when stems collide) appended."""
    if len({p.resolve() for p in paths}) < len(paths):
        dup = next(p for i, p in enumerate(paths) if p.resolve() in
                   {q.resolve() for q in paths[:i]})
        raise EvalError(f"compare lists {dup} twice; give each result file once")
    results = [load_result(p) for p in paths]
    check_comparable(results, paths)
    names = [r["method"] for r in results]
    for r, label in zip(results, _labels(paths), strict=True):
        if names.count(r["method"]) > 1:
            r["method"] = f"{r['method']} ({label})"
    return results
