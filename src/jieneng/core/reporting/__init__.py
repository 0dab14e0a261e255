"""Reporting tasks (填报任务): periods, task states and who may move a task.

The supervising office (管理机构) opens a reporting period — 月报 for one month,
年报 for one year — for its subtree; every active institution in scope gets one
task. This package is the pure part: storage keeps the current state and one
transition row per move.

Modules (import from them directly; this package re-exports nothing):

- :mod:`.periods` — :class:`~.periods.Period` (a month or a year) and its kinds;
- :mod:`.tasks` — the task state machine: states, actions, actor roles, the review
  chain (:class:`~.tasks.ReviewConfig`), :func:`~.tasks.transition`,
  :func:`~.tasks.allowed_actions`, :func:`~.tasks.is_locked`.

References
----------
- 公共机构能源资源消费统计调查制度: 月报/年报 reporting by institutions, review by the
  competent department and the 机关事务管理 office of each level (逐级审核).
"""
