"""Notifications: the channels a region has and the sending over them.

- :mod:`.notify` — the senders: in-app rows, e-mail and group-robot webhooks
  (WeCom, DingTalk, Feishu, plain webhook) with retries and masked targets;
  the unread count and the list of ``/notifications``;
- :mod:`.channels` — a region's channels, inherited by its subtree
  (:func:`~jieneng.services.notifications.channels.channels_for_region`), and
  their administration (administrators; every change audited, target masked).

The features that notify import this package and it imports none of them:
reporting reminders (:mod:`jieneng.services.workflow.reminders`) and early
warnings (:mod:`jieneng.services.targets.alerts`).
"""
