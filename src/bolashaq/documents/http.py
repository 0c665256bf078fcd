"""The HTTP answer that hands out a stored document, shared by the pages and the API."""

from __future__ import annotations

from django.http import FileResponse

from bolashaq.documents.models import Document
from bolashaq.documents.selectors import document_open


def document_file_response(document: Document) -> FileResponse:
    """The file as a download: never shown inline, never cached by shared caches, its type
    the one detected from its content."""
    response = FileResponse(
        document_open(document),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Should a browser ever render it anyway: no scripts, no requests, an opaque origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
