"""``docs/metering.md`` states the defaults the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from jieneng.core.metering import ConsumptionOptions
from jieneng.core.metering.billing import DEFAULT_ALLOCATION

DOC = Path(__file__).resolve().parents[3] / "docs" / "metering.md"


def _defaults() -> dict[str, str]:
    table = DOC.read_text(encoding="utf-8").split("## Defaults at a glance", 1)[1]
    return {m[1]: m[2] for m in re.finditer(r"^\| `(\w+)`(?: `\w+`)? \| `?([^`|]+?)`? ",
                                            table, re.M)}


def test_defaults_table_matches_the_code() -> None:
    documented = _defaults()
    options = ConsumptionOptions()
    assert documented["gap_policy"] == str(options.gap_policy)
    assert documented["max_spread_intervals"] == "none" and options.max_spread_intervals is None
    assert float(documented["tolerance"].split()[0]) == options.tolerance
    assert float(documented["reset_ratio"]) == options.reset_ratio
    assert float(documented["rollover_band"]) == options.rollover_band
    assert int(documented["glitch_window"].split()[0]) == options.glitch_window
    assert documented["allocation"] == str(DEFAULT_ALLOCATION)
