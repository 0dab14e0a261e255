"""Performance assessment pages (绩效考核, issue 14 §4):

- :mod:`.pages` — ``/assessments``: the sheets (shipped and stored versions) and the runs
  of the caller's scope, with the form to open a run (sheet, region, year); twin
  ``/api/v1/assessments``; ``POST /assessments/open`` (twin ``POST
  /api/v1/assessments/open``).
- :mod:`.sheets` — ``/assessments/sheets/load``: the load form for a local sheet version
  (capability ``manage_assessments``, like ``jieneng assessments load``; region, dry run,
  the example file ``/assessments/sheets/template.csv``; a refusal is 422 with every
  issue by sheet, row and column and nothing stored); twin ``POST
  /api/v1/assessments/sheets/load``. ``/assessments/sheets/{code}`` — one sheet's rows
  with source and status; twin ``/api/v1/assessments/sheets/{code}``.
- :mod:`.results` — ``/assessments/{run_id}``: the ranking (rank, subject, every block's
  score, total, grade, ★ veto, with the grade counts and each subject's items — figure,
  score, note); recompute and confirm forms; twin ``/api/v1/assessments/{run_id}``; the
  workbook ``/assessments/{run_id}.xlsx`` (formula-safe) and the 公文
  ``/assessments/{run_id}.docx``; ``/assessments/{run_id}/score`` — the hand-scoring form
  (every checklist item of every subject, with notes; what was typed is kept on a
  refusal); twin ``GET/POST /api/v1/assessments/{run_id}/score``.

The runs are the assessing offices' (capability ``manage_assessments``, inside their
scope); the sheets are reference data every role reads. The 目标考核 of
``/targets/assessment`` (targets met or not) is a different page, linked from here.
"""
