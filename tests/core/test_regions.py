"""RegionTree: subtree, the child holding a region, and the lineage up to the root."""

from __future__ import annotations

from jieneng.core.regions import Region, RegionTree

TREE = RegionTree([
    Region("450000", "广西壮族自治区", 1, None),
    Region("450300", "桂林市", 2, "450000"),
    Region("450321", "阳朔县", 3, "450300"),
    Region("450302", "秀峰区", 3, "450300"),
    Region("450100", "南宁市", 2, "450000"),
])


def test_subtree_and_child_under() -> None:
    assert sorted(TREE.subtree("450300")) == ["450300", "450302", "450321"]
    assert TREE.child_under("450000")["450321"] == "450300"
    assert TREE.child_under("450300")["450300"] == "450300"  # 本级


def test_lineage_nearest_first() -> None:
    assert TREE.lineage("450321") == ["450321", "450300", "450000"]
    assert TREE.lineage("450000") == ["450000"]
    assert TREE.lineage("999999") == []


def test_lineage_stops_on_a_cycle() -> None:
    looped = RegionTree([Region("110000", "甲", 1, "110100"), Region("110100", "乙", 2, "110000")])
    assert looped.lineage("110100") == ["110100", "110000"]
