"""The path parameters the entry pages and their twin share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

YearP = Annotated[int, Path(ge=1900, le=2200, description="年 year")]
MonthP = Annotated[int, Path(ge=1, le=12, description="月 month")]
