"""Spot checks (现场抽查) of a round (issue 14 §3): the draw and the on-site results.

- :func:`draw_sample` — draws the round's sample by the scheme's sampling rule
  (:mod:`jieneng.core.campaigns.checks`): the rate asked (default the rule's) at least
  the rule's ``sample_rate`` (else refused naming the rule, the rate asked and the
  minimum, nothing stored); the members not checked in the scheme's rounds of the
  region over the ``full_coverage_years`` window first; the seed recorded (given, or
  drawn from the system's randomness), with the population's size and SHA-256, who and
  when. Further draws (a second batch later in the year) are allowed while the round
  allows a draw: each its own record, never re-drawing a member an earlier batch drew
  (a sample is not redrawn until it pleases: a batch only adds), refused when every
  member is drawn; the rule's minimum applies to the year's total (the earlier batches'
  share + the rate asked; the first batch reaches it alone). The population is every
  member of the round. The round moves to ``checking``.
- :func:`inspect_member` — the on-site scores of a sampled member (stage
  ``inspection`` of ``campaign_item_score``, which takes precedence over the review and
  self-assessment scores; hand items only, 0 … the item's points, else refused) and
  the verdict (``pass`` / ``fail``; a failed member leaves the round: state ``failed``
  with the note as reason). The round is rescored.
- :func:`round_checks` — the round's rule, draw, sample with verdicts and scores, and
  the publicity (:mod:`.publicity`); :func:`checks_view` adds what a page's forms need
  (the round page's checks section and the checks page both read it).

Office actions need ``run_rounds`` and the round's region in the caller's scope (an
office of that region or above); every change is audited.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import User
from jieneng.core.campaigns.checks import SamplingRule, check_rate, draw, window_start_year
from jieneng.core.campaigns.rounds import check_round_move, maximum, round_states_from
from jieneng.core.campaigns.scheme import RuleKind, Scheme
from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.accounts import audit
from jieneng.services.campaigns.check_access import check_state, iso, office_round, rule_of
from jieneng.services.campaigns.publicity import publicity_view
from jieneng.services.campaigns.round_access import find_member, find_round, now, round_scheme
from jieneng.services.campaigns.round_scoring import score_round
from jieneng.services.scope import scoped_filters
from jieneng.storage import campaign_rounds as rounds_store
from jieneng.storage import campaign_titles as store
from jieneng.storage import round_scores
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.tables import institution

#: the round states in which a sample may be drawn and inspected (a draw moves the round
#: to ``checking``: data/campaigns/round_transitions.csv)
OPEN_ROUND_STATES = round_states_from("checking", "draw")
VERDICTS = store.VERDICTS
HAND = (RuleKind.CHECKLIST, RuleKind.INSPECTION)


def _population(conn: Connection, round_id: int) -> list[int]:
    m = rounds_store.campaign_round_member
    return [int(x) for x in conn.execute(
        select(m.c.institution_id).where(m.c.round_id == round_id)).scalars()]


def _checked_before(conn: Connection, round_row: dict[str, Any], rule: SamplingRule
                    ) -> set[int]:
    """Members of the scheme's earlier rounds of the region drawn within the window."""
    year = int(round_row["year"])
    ids = [r for r in store.rounds_of(conn, str(round_row["scheme_code"]),
                                      round_row["region_code"],
                                      window_start_year(year, rule), year)
           if r != int(round_row["id"])]
    return store.checked_in_rounds(conn, ids)


def draw_sample(engine: Engine, user: User, round_id: int, *, rate: float | None = None,
                seed: int | None = None) -> dict[str, Any]:
    """Draw the round's spot-check sample (module docstring); the draw and its sample."""
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        check_state(row, OPEN_ROUND_STATES)
        store.lock_round(conn, round_id)  # one draw at a time per round
        earlier = store.drawn_in_round(conn, round_id)
        scheme, rule = rule_of(conn, row)
        if rate is None and rule.rate is None:
            raise ValidationFailed.of("check_rate_required", scheme=scheme.code, field="rate")
        population = _population(conn, round_id)
        if not population:
            raise ValidationFailed.of("check_no_members", round=round_id)
        left = len(set(population) - earlier)
        if not left:
            raise Conflict.of("check_all_drawn", round=round_id, count=len(population))
        drawn_share = len(earlier & set(population)) / len(population)
        asked = check_rate(rule, rule.minimum if rate is None else rate, drawn_share)
        chosen_seed = secrets.randbelow(2**31 - 1) if seed is None else int(seed)
        if not 0 <= chosen_seed < 2**31:
            raise ValidationFailed.of("check_seed_invalid", seed=seed, field="seed")
        result = draw(population, rate=asked, seed=chosen_seed,
                      checked_before=_checked_before(conn, row, rule), drawn=earlier)
        at = now()
        values: dict[str, Any] = {"round_id": round_id, "seed": chosen_seed, "rate": asked,
                  "rule_rate": rule.rate, "population": result.population,
                  "population_sha256": result.digest, "sample_size": result.size,
                  "preferred": len(result.preferred), "drawn_by": user.actor.username,
                  "drawn_at": at}
        check_id = store.insert_draw(conn, values, [(i, i in result.preferred)
                                                    for i in result.sample])
        if row["state"] != "checking":
            check_round_move(str(row["state"]), "checking", "draw")
            rounds_store.set_round(conn, round_id, state="checking")
        batch = len(store.draws(conn, round_id))
        total = len(earlier & set(population)) + result.size
        audit.record(conn, user.actor, "campaigns.check_draw", "campaign_round", round_id,
                     after={k: v for k, v in values.items() if k != "drawn_at"}
                     | {"check_id": check_id, "batch": batch, "earlier": len(earlier),
                        "sample": list(result.sample)})
    return {"id": check_id, **values, "drawn_at": at.isoformat(), "batch": batch,
            "drawn_total": total, "total_rate": round(total / len(population), 4),
            "full_coverage_years": rule.full_coverage_years, "sample": list(result.sample)}


def _hand_item(scheme: Scheme, code: str) -> Any:
    try:
        item = scheme.node(code)
    except KeyError:
        raise ValidationFailed.of("check_item_unknown", item=code, field=code) from None
    if item.is_block or item.rule not in HAND:
        raise ValidationFailed.of("check_item_not_hand", item=code, name=item.name_zh,
                                  field=code)
    return item


def _score_rows(scheme: Scheme, scores: Mapping[str, float | None], user: User,
                at: Any) -> list[dict[str, Any]]:
    rows = []
    for code, value in scores.items():
        item = _hand_item(scheme, code)
        if value is None:
            continue
        top = maximum(item)  # a 0-point condition takes 1 = met
        if not (math.isfinite(float(value)) and 0 <= float(value) <= top):
            raise ValidationFailed.of("check_score_out_of_range", item=code,
                                      name=item.name_zh, score=value, points=top,
                                      field=f"score_{code}")
        rows.append({"item_code": code, "score": float(value), "note": None,
                     "by_user": user.actor.username, "at": at})
    return rows


def inspect_member(engine: Engine, user: User, round_id: int, credit_code: str, *,
                   scores: Mapping[str, float | None] | None = None,
                   verdict: str | None = None, note: str = "") -> dict[str, Any]:
    """Record the on-site scores and verdict of a sampled member; the round rescored."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValidationFailed.of("check_verdict_invalid", verdict=verdict, field="verdict")
    text = note.strip()
    if verdict == "fail" and not text:
        raise ValidationFailed.of("check_reason_required", field="note")
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        check_state(row, OPEN_ROUND_STATES)
        member, inst = find_member(conn, user, row, credit_code)
        check_id = store.draw_of(conn, round_id, int(inst["id"]))
        if check_id is None:
            raise ValidationFailed.of("check_not_sampled", credit_code=inst["credit_code"])
        at = now()
        scheme = round_scheme(conn, row)
        rows = _score_rows(scheme, scores or {}, user, at)
        round_scores.put_scores(conn, int(member["id"]), "inspection", rows)
        if verdict is not None:
            store.set_verdict(conn, check_id, int(inst["id"]), verdict=verdict,
                              note=text or None, inspected_by=user.actor.username,
                              inspected_at=at)
        if verdict == "fail":
            rounds_store.set_member(conn, int(member["id"]), state="failed", reason=text,
                                    updated_at=at)
        audit.record(conn, user.actor, "campaigns.check_inspect", "campaign_round_member",
                     int(member["id"]), before={"state": member["state"]},
                     after={"scores": {r["item_code"]: r["score"] for r in rows},
                            "verdict": verdict, "note": text or None})
    rescore(engine, user, round_id)
    return {"round_id": round_id, "credit_code": inst["credit_code"], "verdict": verdict,
            "scores": {r["item_code"]: r["score"] for r in rows}}


def rescore(engine: Engine, user: User, round_id: int) -> None:
    """Score the round again (R1's scoring, its own transaction)."""
    score_round(engine, user, round_id)


def _sample(conn: Connection, user: User, round_id: int, batches: dict[int, int]
            ) -> list[dict[str, Any]]:
    """The sample of every draw of the round inside the caller's scope, with the
    members' state and score and the batch (1, 2, …) that drew each."""
    filters = scoped_filters(conn, user.scope)
    i, cm = institution, store.campaign_spot_check_member
    m = rounds_store.campaign_round_member
    c = store.campaign_spot_check
    query = (select(cm.c.check_id, cm.c.institution_id, cm.c.preferred, cm.c.verdict,
                    cm.c.note,
                    cm.c.inspected_by, cm.c.inspected_at, i.c.credit_code, i.c.name,
                    i.c.region_code, m.c.state, m.c.total, m.c.passed, m.c.grade)
             .join(i, i.c.id == cm.c.institution_id).join(c, c.c.id == cm.c.check_id)
             .outerjoin(m, (m.c.round_id == c.c.round_id)
                        & (m.c.institution_id == cm.c.institution_id))
             .where(c.c.round_id == round_id, *institution_conditions(conn, filters))
             .order_by(i.c.credit_code))
    out = []
    for r in conn.execute(query):
        d = dict(r._mapping)
        d["region_code"] = str(d["region_code"]).strip()
        d["inspected_at"] = d["inspected_at"].isoformat() if d["inspected_at"] else None
        d["batch"] = batches.get(int(d["check_id"]))
        out.append(d)
    return out


def round_checks(db: Engine, user: User, round_id: int) -> dict[str, Any]:
    """The round's sampling rule, its draws (``draws``, oldest first, each with its
    ``batch`` number; ``draw`` the latest) and their sample (inside the caller's scope),
    the year's total drawn against the rule, the publicity and objections."""
    with db.connect() as conn:
        row = find_round(conn, user, round_id)
        scheme, rule = rule_of(conn, row)
        drawn = store.draws(conn, round_id)
        latest = drawn[0] if drawn else None
        batches = {int(d["id"]): n for n, d in enumerate(reversed(drawn), start=1)}
        sample = _sample(conn, user, round_id, batches) if drawn else []
        members = len(_population(conn, round_id))
        total = len(store.drawn_in_round(conn, round_id))
        items = [{"code": n.code, "name_zh": n.name_zh, "name_en": n.name_en,
                  "points": n.points, "maximum": maximum(n),
                  "rule": n.rule.value if n.rule else None}
                 for n in scheme.items if n.rule in HAND]
        draw_out = None if latest is None else iso(latest)
        publicity = publicity_view(conn, user, row)
    return {"round": iso(row),
            "rule": {"scheme": scheme.code, "rate": rule.rate,
                     "full_coverage_years": rule.full_coverage_years},
            "draw": draw_out, "sample": sample, "items": items,
            "draws": [{**iso(d), "batch": batches[int(d["id"])]} for d in reversed(drawn)],
            "drawn_total": total, "members": members, "undrawn": max(members - total, 0),
            "total_rate": round(total / members, 4) if members else None,
            "inspected": sum(1 for s in sample if s["verdict"]),
            "publicity": publicity}


def checks_view(db: Engine, user: User, round_id: int) -> dict[str, Any]:
    """:func:`round_checks` for a page: with whether the caller may act (``can_run``) and
    a fresh seed suggestion for the draw form (``seed_suggestion``)."""
    data = round_checks(db, user, round_id)
    data["can_run"] = user.can(Capability.RUN_ROUNDS)
    data["seed_suggestion"] = secrets.randbelow(2**31 - 1)
    return data


__all__ = ["checks_view", "draw_sample", "inspect_member", "rescore", "round_checks"]
