"""The whole schema: :data:`metadata` with every table module imported.

The core tables are declared in :mod:`.tables`; feature tables (metering, gateways,
…) in their own modules, which add themselves to the one ``MetaData`` when imported.
Whatever needs the complete schema — the migration environment, the
migration-matches-metadata test, table listings — imports :data:`metadata` from here.
A new table module is added to the imports below.
"""

from __future__ import annotations

from . import (  # noqa: F401  (the tables join the metadata)
    assessments,
    campaign_rounds,
    campaign_titles,
    campaigns,
    carbon,
    fleet,
    forms_ny,
    gateways,
    meter_readings,
    metered_statistics,
    metering,
    project_generation,
    project_settlement,
    projects,
    utility_data,
    weather,
    workplans,
)
from .tables import metadata

__all__ = ["metadata"]
