"""Measurement & verification (IPMVP option C): data preparation and sufficiency,
CalTRACK 2.0 daily and billing models, the monthly regression on the platform's own
statistics, metrics (R², CV(RMSE), NMBE, FSU) and savings — pure, numpy only.
Conventions and clause references in ``docs/mv.md``."""
