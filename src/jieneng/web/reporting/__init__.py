"""The reporting workflow (填报任务与审核), one module per page with its JSON twin:
``periods`` (报告期), ``tasks`` (填报任务, actions, questions), ``review`` (the review
queue and bulk decisions); ``schemas`` holds their parameter and body types and
response models. A package because page and twins together were over 500 lines.
Every POST carries the session's CSRF token (checked by ``CurrentUser``).
"""
