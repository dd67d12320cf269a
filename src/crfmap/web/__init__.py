"""`crfmap serve`: a local page to drop a workbook on, and the same endpoints as a small JSON API.

Like the command line, it reaches the work only through `crfmap.api`. It needs the `serve` extra
(Starlette, uvicorn, python-multipart).
"""

from crfmap.web.app import ServeSettings, create_app, serve

__all__ = ["ServeSettings", "create_app", "serve"]
