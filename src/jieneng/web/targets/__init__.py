"""Targets (双控目标) and what hangs on them, one module per page with its JSON twin:
``targets`` (set, decompose, lock, progress), ``assessment`` (年终考核: page, workbook,
公文, twin), ``alerts`` (预警), ``quotas``
(能耗定额 positions, import, assignment), ``annual`` (the 通报 downloads); ``schemas``
holds the response models they share. A package because together they were over
600 lines.
"""
