"""The home page's work-plan list follows the item's worked-out state (W4): an item
done through its figures — an accepted report whose value meets the target — is not
listed; items whose state needs computed figures (a computed indicator such as a PUE,
a parent summed from its children) are left out (the plan page works them out)."""

from __future__ import annotations

from datetime import date

from jieneng.services.workbench.next_things import next_things
from jieneng.services.workplans.items import add_item
from jieneng.services.workplans.plans import create_plan
from jieneng.services.workplans.review import report_progress, review_report
from tests.web.conftest import World

DUE = "2025-06-10"


def _listed(world: World, today: date) -> list[str]:
    found = {s["key"]: s for s in next_things(world.engine, world.users["region"], today)}
    section = found.get("plan_items")
    if section is None:
        return []
    assert section["total"] == len(section["items"])   # a small world: one page
    return [i["title"].split(" ", 1)[1] for i in section["items"]]


def test_home_list_uses_the_worked_out_state(world: World) -> None:
    office = world.users["region"]
    plan = create_plan(world.engine, office, region_code="450321", year=2025, title="阳朔要点")
    pid = int(plan["id"])

    def item(no: str, text: str, **more: str) -> int:
        fields = {"item_no": no, "text": text, "deadline": DUE, **more}
        return int(add_item(world.engine, office, pid, fields)["id"])

    item("1", "制定实施方案")
    met = item("2", "举办培训", indicator="trainings_held", target="2", comparison=">=")
    short = item("3", "举办宣传", indicator="publicity_participants", target="2000",
                 comparison=">=")
    item("4", "数据中心PUE", indicator="datacentre_pue", target="1.6", comparison="<=")
    item("5", "全县培训", indicator="trainings_held", target="4", comparison=">=")
    item("5.1", "本级培训", parent_no="5")
    for target, value in ((met, 2.0), (short, 500.0)):   # in progress, figures reported
        sent = report_progress(world.engine, office, target, state="in_progress",
                               comment="进行中", value=value)
        review_report(world.engine, world.users["admin"], int(sent["id"]), accept=True)
    listed = _listed(world, date(2025, 6, 1))
    # 2 is done by its accepted value (2 ≥ 2) though its stored state is 'in progress';
    # 4 (computed PUE) and 5 (summed from 5.1) need computed figures: left out
    assert listed == ["制定实施方案", "举办宣传", "本级培训"]
