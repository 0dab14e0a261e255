"""The institution directory (名录库) and what is stored for an institution.

- :mod:`.directory` — search and detail of institutions as the pages show them,
  inside the caller's scope (an institution outside it is :class:`NotFound`);
- :mod:`.records` — an institution's figures: revision history and monthly series;
- :mod:`.search` — the unit search of the top bar (institutions and regions by name
  or code, inside the caller's scope).

Filling the directory from files is :mod:`jieneng.services.entry.imports`.
"""
