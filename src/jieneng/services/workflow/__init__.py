"""The reporting workflow (填报 → 上报 → 审核/退回): periods, tasks, review queues.

``periods`` (open, sync, list), ``tasks`` (my tasks, one task, ``act``), ``review``
(the queue, bulk review), ``questions`` (ask, answer) and ``locks`` (the figure
lock that entry and imports call: ``check_unlocked``, ``note_saved``), over
``access`` (who acts on a task as which role, the task as a dict); ``reminders``
(催报: the daily reminders of the tasks still owed, and a reviewer's from the web,
sent through :mod:`jieneng.services.notifications`); ``notices`` (a return, reopen,
question or answer reaches who must act; the entry form's banner).
"""
