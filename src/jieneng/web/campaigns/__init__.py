"""Campaigns and evaluations (创建评价): schemes, rounds, self-assessments, reviews, spot
checks, 公示, awards, 回头看 and coverage (issue 14 §2–3). One module per page family,
each with a ``router`` (pages) and an ``api`` (its JSON twin under /api/v1/)."""
