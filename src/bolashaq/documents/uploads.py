"""An upload handler that keeps at most ``DOCUMENT_MAX_BYTES + 1`` bytes of each file.

Django writes uploads to memory or a temporary file with no size limit of its own. Placed first
in ``request.upload_handlers`` (before anything reads the body), this handler passes on only the
first ``DOCUMENT_MAX_BYTES + 1`` bytes of each file, so a huge upload costs neither memory nor
disk, and the kept bytes still show it was too large.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


class CappedUploadHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        cap: int = settings.DOCUMENT_MAX_BYTES + 1
        if start >= cap:
            return None  # the handlers after this one never see the rest
        return raw_data[: cap - start]

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file
