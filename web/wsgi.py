"""The WSGI entry point for a production server: `gunicorn 'web.wsgi:app'`. Each worker
builds the app from the environment (`web/config.py`) and sets its startup heap aside
(`web.startup`), as `tdkt serve` does."""

from web.startup import settled_app

app = settled_app()
