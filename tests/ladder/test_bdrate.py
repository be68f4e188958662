"""BD-rate plumbing against the ``bjontegaard`` package on curves with a known answer."""
from __future__ import annotations

import math

import numpy as np
import pytest

from frvsr.bandwidth.bdrate import Curve, crossovers, delta, monotone, winner_everywhere
from frvsr.bandwidth.summary import deltas

bd = pytest.importorskip("bjontegaard")
RATES = (100.0, 200.0, 400.0, 800.0, 1600.0)


def vmaf_of(kbps: float) -> float:
    """A concave rate-quality curve (VMAF rises with log rate, saturating)."""
    return 100 - 80 * math.exp(-math.log10(kbps) + 1.5)


ANCHOR = Curve("full", RATES, tuple(vmaf_of(r) for r in RATES))


def test_same_quality_at_80_percent_of_the_rate_is_minus_20_percent() -> None:
    test = Curve("sr", tuple(0.8 * r for r in RATES), ANCHOR.vmaf)
    d = delta(ANCHOR, test)
    assert d.bd_rate == pytest.approx(-20.0, abs=1e-9)
    assert d.vmaf_overlap == (min(ANCHOR.vmaf), max(ANCHOR.vmaf))
    expected = bd.bd_rate(ANCHOR.kbps, ANCHOR.vmaf, test.kbps, test.vmaf, method="pchip")
    assert d.bd_rate == pytest.approx(expected, rel=1e-12)


def test_three_points_more_vmaf_at_equal_rate_is_bd_vmaf_plus_3() -> None:
    test = Curve("sr", RATES, tuple(v + 3.0 for v in ANCHOR.vmaf))
    d = delta(ANCHOR, test)
    assert d.bd_vmaf == pytest.approx(3.0, abs=1e-9)
    assert d.bd_rate is not None and d.bd_rate < 0  # better quality per bit saves bits
    expected = bd.bd_rate(ANCHOR.kbps, ANCHOR.vmaf, test.kbps, test.vmaf, method="pchip",
                          min_overlap=0)
    assert d.bd_rate == pytest.approx(expected, rel=1e-12)


def test_rows_to_deltas_uses_measured_rates_and_counts_weights() -> None:
    rows = []
    for i, r in enumerate(RATES):
        q = vmaf_of(r)
        rows += [{"rung": i, "method": "full", "kbps": r, "encode_kbps": r, "vmaf": q},
                 {"rung": i, "method": "sr", "kbps": r / 2, "encode_kbps": r / 2, "vmaf": q},
                 {"rung": i, "method": "sr_adapted", "kbps": r / 2 + 10.0,
                  "encode_kbps": r / 2, "vmaf": q + 1.0}]
    found = {(d["test"], d["anchor"]): d for d in deltas(rows)}
    assert found[("sr", "full")]["bd_rate"] == pytest.approx(-50.0, abs=1e-9)
    free, paid = found[("sr_adapted_free", "sr")], found[("sr_adapted", "sr")]
    assert free["bd_vmaf"] == pytest.approx(1.0, abs=1e-9)
    assert paid["bd_vmaf"] < free["bd_vmaf"]  # the weights' kbit/s cost quality per bit


def test_non_improving_rungs_are_dropped_before_interpolation() -> None:
    kept, dropped = monotone(Curve("x", (400.0, 100.0, 200.0, 800.0), (60.0, 40.0, 39.0, 70.0)))
    assert kept.kbps == (100.0, 400.0, 800.0) and dropped == [200.0]


def test_disjoint_quality_ranges_give_none_with_a_reason() -> None:
    low = Curve("sr", RATES, tuple(np.linspace(10, 20, len(RATES))))
    high = Curve("full", RATES, tuple(np.linspace(50, 90, len(RATES))))
    d = delta(high, low)
    assert d.bd_rate is None and "no VMAF overlap" in d.note
    # VMAF linear in log rate: pchip is exact, BD-VMAF is the mean difference, 15 - 70
    assert d.bd_vmaf == pytest.approx(-55.0, abs=1e-9)


def test_crossover_of_two_lines_is_found_where_they_meet() -> None:
    a = Curve("full", RATES, tuple(20 * math.log10(r) for r in RATES))
    t = Curve("sr", RATES, tuple(10 * math.log10(r) + 10 * math.log10(400) for r in RATES))
    found = crossovers(a, t)
    assert len(found) == 1 and found[0]["kbps"] == pytest.approx(400.0, rel=1e-3)
    assert found[0]["below"] == "sr"
    assert winner_everywhere(a, t) is None
    assert winner_everywhere(ANCHOR, Curve("sr", RATES, tuple(v - 1 for v in ANCHOR.vmaf))) \
        == "full"
