"""WSGI entry point: `gunicorn wsgi:app`."""

from api import create_app

app = create_app({"GPSOC_SERVING": True})  # keeps search in step (the index keeper)
