"""Notification channels (``notify_channel``): a region's channels, inherited by
its subtree (:func:`channels_for_region`), and their administration
(administrators; every change audited with the target masked).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.accounts.users import require_actor
from jieneng.services.notifications.notify import Channel, validate_target
from jieneng.storage import notify as store
from jieneng.storage import regions as region_store


def _channel(row: Any) -> Channel:
    return Channel(id=row.id, region_code=row.region_code, kind=row.kind, target=row.target,
                   enabled=bool(row.enabled))


def channels_for_region(conn: Connection, region_code: str, *, tree: RegionTree
                        ) -> list[Channel]:
    """The enabled channels of a region and of every region above it (inherited)."""
    return [_channel(r) for r in store.channels_of_regions(conn, tree.lineage(region_code))]


def load_tree(conn: Connection) -> RegionTree:
    return RegionTree(region_store.load_regions(conn))


def _public(channel: Channel, tree: RegionTree | None = None) -> dict[str, Any]:
    name = tree.name(channel.region_code) if tree and channel.region_code in tree else ""
    return {"id": channel.id, "region_code": channel.region_code, "region_name": name,
            "kind": channel.kind, "target": channel.masked, "enabled": channel.enabled}


def list_channels(engine: Engine) -> list[dict[str, Any]]:
    """Every channel, targets masked (administration)."""
    with engine.connect() as conn:
        tree = load_tree(conn)
        return [_public(_channel(r), tree) for r in store.list_channels(conn)]




def create_channel(engine: Engine, *, actor: Actor, region_code: str, kind: str, target: str
                   ) -> dict[str, Any]:
    """Attach a channel to a region (administrators); audited with the target masked."""
    target = validate_target(kind, target)
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.MANAGE_CHANNELS)
        tree = load_tree(conn)
        if region_code not in tree:
            raise NotFound.of(
                "notifications.region_not_found", region_code=region_code, field="region_code",
            )
        new_id = store.insert_channel(conn, region_code=region_code, kind=kind, target=target)
        channel = Channel(new_id, region_code, kind, target)
        audit.record(conn, actor, "channel.create", "notify_channel", new_id,
                     after=_public(channel))
        return _public(channel, tree)


def _existing(conn: Connection, channel_id: int) -> Channel:
    row = store.get_channel(conn, channel_id)
    if row is None:
        raise NotFound.of("notifications.channel_not_found", channel_id=channel_id)
    return _channel(row)


def set_channel_enabled(engine: Engine, *, actor: Actor, channel_id: int, enabled: bool
                        ) -> dict[str, Any]:
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.MANAGE_CHANNELS)
        before = _existing(conn, channel_id)
        store.set_channel_enabled(conn, channel_id, enabled)
        after = _existing(conn, channel_id)
        audit.record(conn, actor, "channel.update", "notify_channel", channel_id,
                     before=_public(before), after=_public(after))
        return _public(after, load_tree(conn))


def delete_channel(engine: Engine, *, actor: Actor, channel_id: int) -> None:
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.MANAGE_CHANNELS)
        before = _existing(conn, channel_id)
        store.delete_channel(conn, channel_id)
        audit.record(conn, actor, "channel.delete", "notify_channel", channel_id,
                     before=_public(before))
