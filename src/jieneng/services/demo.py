"""The 桂林市 demo database (演示数据), built through the ordinary import path.

The demo generator (:mod:`jieneng.demo`) writes the files a 统计员 would have —
regions, the directory (.xlsx), yearly profiles and one wide consumption sheet
per year — and this service imports them exactly as a user's files are
imported, so the demo also exercises validation, revisions and roll-ups.
Building is idempotent: a database already holding this demo version is left
as it is; re-importing identical files changes nothing. The last complete year
(the last of :data:`DEMO_YEARS`) is published for the demo city
(:mod:`jieneng.services.publication`) so its public big screen shows figures; a
demo database built before publication existed gets that mark too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from jieneng.demo.generate import write_demo_files
from jieneng.services import publication
from jieneng.services.audit import Actor
from jieneng.services.database import open_database
from jieneng.services.imports import ImportKind, Progress, import_file, no_progress
from jieneng.settings import data_dir
from jieneng.storage import meta

DEMO_REGION = "450300"
DEMO_LABEL = "演示数据"
DEMO_VERSION = "guilin-1"
DEMO_YEARS = (2023, 2024, 2025)


def demo_database_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.db'}"


@dataclass
class DemoSummary:
    built: bool
    files_dir: Path
    years: tuple[int, ...] = DEMO_YEARS
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def last_year(self) -> int:
        return self.years[-1]

    def describe(self) -> str:
        state = "已构建 built" if self.built else "已存在，未改动 already up to date"
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"{state}; 文件 files: {self.files_dir}; {counts}"


def build_demo(url: str, *, rebuild: bool = False, progress: Progress = no_progress) -> DemoSummary:
    """Build the demo into ``url`` (created if needed); ``rebuild`` re-imports everything."""
    engine = open_database(url)
    try:
        return _build(engine, rebuild, progress)
    finally:
        engine.dispose()


def _build(engine: Engine, rebuild: bool, progress: Progress) -> DemoSummary:
    files_dir = data_dir() / "demo-files"
    with engine.connect() as conn:
        present = meta.get_meta(conn, "demo_version") == DEMO_VERSION
    summary = DemoSummary(built=False, files_dir=files_dir)
    if present and not rebuild:
        _publish(engine)
        return summary
    progress("生成文件 generating files")
    files = write_demo_files(files_dir, years=DEMO_YEARS)
    steps: list[tuple[ImportKind, Path]] = [
        (ImportKind.REGIONS, files.regions),
        (ImportKind.INSTITUTIONS, files.institutions),
        (ImportKind.PROFILES, files.profiles),
        *((ImportKind.CONSUMPTION, path) for path in files.consumption),
    ]
    for kind, path in steps:
        progress(f"导入 importing {path.name}")
        report = import_file(engine, kind, path, source="demo")
        summary.counts[path.name] = report.records
    with engine.begin() as conn:
        meta.set_meta(conn, "dataset_label", DEMO_LABEL)
        meta.set_meta(conn, "demo_version", DEMO_VERSION)
    _publish(engine)
    summary.built = True
    return summary


def _publish(engine: Engine) -> None:
    """Publish the last demo year for the demo city (no change when already published)."""
    publication.publish(engine, actor=Actor(None, "demo"), region_code=DEMO_REGION,
                        year=DEMO_YEARS[-1])
