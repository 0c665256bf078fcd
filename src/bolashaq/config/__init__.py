"""Wiring only: settings, URLs and the WSGI/ASGI entry points."""
