"""The pages of the dashboards, directory, data entry, import, reporting, summaries
and big screen. Their JSON twins under ``/api/v1`` (:mod:`jieneng.web.api`) import
the same ``*_data`` functions and parameter types from here — never the reverse:
nothing in ``pages`` imports ``api``. Handlers stay short: parse → call a service →
render. The routers are listed in :data:`jieneng.web.app.ROUTERS`."""
