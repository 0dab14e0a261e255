"""The workbench (工作台): what the signed-in account must act on, read through the
other features' services with the caller's scope.

``workbench`` — one function, :func:`~jieneng.services.workbench.workbench.workbench`:
for a 统计员 (公共机构) the tasks to fill, the returned reports with their reasons,
the questions to answer and the deadlines; for a reviewer (主管机构, 管理机构,
administrator) the submissions waiting, the overdue units per period, the open
findings and the alerts of the scope; a read-only account gets the alerts it may
read. Above ``workflow``, ``quality`` and ``targets``; nothing imports it but the web.
"""
