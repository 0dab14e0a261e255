"""Work plans (工作安排, issue 14 §1): a region's plan for a year as structured items,
assigned down the region tree, progress reported and reviewed, indicators computed from
what the platform holds, overdue reminders, mid-year and year-end review data.

Modules (one use case per function): :mod:`.access` (who sees and changes what — scope
from :mod:`jieneng.services.scope`), :mod:`.plans`, :mod:`.items`, :mod:`.assign`,
:mod:`.imports`, :mod:`.review` (reports, evidence, accept / return),
:mod:`.indicators` (one function per source, all regions at once; the coverage ones in
:mod:`.coverage_values`, the region folds they share in :mod:`.region_fold`), :mod:`.progress`
(``plan_progress``, ``region_plan_completion``, ``plan_review``), :mod:`.reminders`.
"""
