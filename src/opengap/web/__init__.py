"""The local dashboard: the report's pages live, a model explorer and a JSON API (FastAPI).

``opengap serve`` runs :func:`create_app` with uvicorn, bound to localhost by default.
"""

from opengap.web.app import create_app

__all__ = ["create_app"]
