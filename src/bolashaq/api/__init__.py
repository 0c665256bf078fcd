"""The HTTP API at /api/v1 (django-ninja), one router per domain."""
