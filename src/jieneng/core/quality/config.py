"""Per-region configuration of the data-quality rules and its inheritance.

Each region may override ``enabled``, ``severity`` and parameters of a rule; a
region inherits its parent's overrides (:func:`effective_config` takes them from
the root to the leaf; the leaf wins).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..exceptions import ValidationFailed
from .catalogue import RULES, rule
from .model import Rule, Severity


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The effective configuration of one rule in one region."""

    enabled: bool
    severity: Severity
    params: Mapping[str, float] = field(default_factory=dict)


def default_config(r: Rule) -> RuleConfig:
    """The rule's own defaults."""
    return RuleConfig(r.enabled, r.severity, r.defaults())


def _param_value(r: Rule, name: str, value: object) -> float:
    spec = r.param(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed.of("quality.config_not_a_number", rule=r.code, name=name,
                                  value=repr(value))
    if not spec.minimum <= value <= spec.maximum:
        raise ValidationFailed.of("quality.config_out_of_range", rule=r.code, name=name,
                                  value=value, minimum=spec.minimum, maximum=spec.maximum)
    if spec.integer and value != int(value):
        raise ValidationFailed.of("quality.config_not_whole", rule=r.code, name=name,
                                  value=value)
    return float(value)


def _severity(r: Rule, value: object) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        known = ", ".join(Severity)
        raise ValidationFailed.of("quality.config_severity", rule=r.code, value=repr(value),
                                  known=known) from None


def _merge(r: Rule, base: RuleConfig, override: Mapping[str, object]) -> RuleConfig:
    unknown = set(override) - {"enabled", "severity", "params"}
    if unknown:
        raise ValidationFailed.of("quality.config_unknown_keys", rule=r.code,
                                  keys=sorted(unknown))
    enabled = override.get("enabled", base.enabled)
    if not isinstance(enabled, bool):
        raise ValidationFailed.of("quality.config_enabled", rule=r.code, value=repr(enabled))
    severity = _severity(r, override["severity"]) if "severity" in override else base.severity
    raw = override.get("params", {})
    if not isinstance(raw, Mapping):
        raise ValidationFailed.of("quality.config_params", rule=r.code)
    params = dict(base.params)
    params.update({str(k): _param_value(r, str(k), v) for k, v in raw.items()})
    return RuleConfig(enabled, severity, params)


def _check_ordered(r: Rule, params: Mapping[str, float]) -> None:
    for a, b in r.ordered:
        if not params[a] < params[b]:
            raise ValidationFailed.of("quality.config_order", rule=r.code, lower=a, upper=b,
                                      lower_value=params[a], upper_value=params[b])


def effective_config(r: Rule, overrides: Sequence[Mapping[str, object]] = ()) -> RuleConfig:
    """The configuration of ``r`` in a region, from its defaults and overrides.

    ``overrides`` are this rule's override dicts of the region's ancestors, **from
    the root to the leaf** (e.g. 广西 → 桂林市 → 阳朔县); each may set ``enabled``
    (bool), ``severity`` (``error``/``warning``/``notice``) and ``params`` (name →
    number). Later overrides win key by key, so a county inherits what its city set
    and changes only what it names.

    Raises :class:`ValidationFailed` (bilingual) for unknown keys or parameters,
    non-numeric, non-finite, out-of-range or non-integral values, and violated
    parameter orderings (``min_ratio < max_ratio``).
    """
    config = default_config(r)
    for override in overrides:
        config = _merge(r, config, override)
    _check_ordered(r, config.params)
    return config


def effective_configs(
    overrides: Sequence[Mapping[str, Mapping[str, object]]] = (),
) -> dict[str, RuleConfig]:
    """:func:`effective_config` of every rule; ``overrides`` are per-region dicts
    ``{rule code: override}`` from the root to the leaf (unknown codes refused)."""
    for level in overrides:
        for code in level:
            rule(code)
    return {
        r.code: effective_config(r, [level[r.code] for level in overrides if r.code in level])
        for r in RULES
    }
