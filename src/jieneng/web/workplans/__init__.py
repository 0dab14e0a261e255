"""Work plans (工作安排, issue 14 §1): plans, items, progress, reviews, the summary.
One module per page family, each with a ``router`` (pages) and an ``api`` (JSON twin)."""
