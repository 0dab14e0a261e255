"""The web layer: FastAPI app factory, JSON API ``/api/v1`` and server-rendered pages.

Build the app with :func:`jieneng.web.app.create_app`; nothing connects at import time.
"""
