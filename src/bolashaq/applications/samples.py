"""Sample answers and documents of a master's application under rule set 2023.

Used by the demo data, the tests and the benchmarks, so that all three exercise one realistic
package: the answers a real applicant would type and one small valid PDF per document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from bolashaq.accounts.models import User
from bolashaq.applications.actions import application_save_section
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import application_checklist


def eligible_answers(today: dt.date) -> dict[str, dict[str, str]]:
    """Answers that meet every requirement of a master's, open ("general") category."""
    return {
        "personal": {
            "last_name": "Bekova",
            "first_name": "Aruzhan",
            "patronymic": "",
            "birth_date": "1979-10-28",
        },
        "education": {
            "institution": "L. N. Gumilyov Eurasian National University",
            "specialty": "Computer science",
            "graduation_year": "2001",
            "gpa": "3.4",
            "gpa_scale": "4",
            "related_specialty": "yes",
            "studying_abroad": "no",
        },
        "kaztest": {
            "score": "121",
            "max": "150",
            "date": (today - dt.timedelta(days=200)).isoformat(),
        },
        "foreign_language": {
            "test": "ielts",
            "score": "6.5",
            "date": (today - dt.timedelta(days=120)).isoformat(),
        },
        "invitation": {
            "unconditional": "yes",
            "recommended_university": "yes",
            "priority_specialty": "yes",
        },
    }


def refused_answers(today: dt.date) -> dict[str, dict[str, str]]:
    """Eligible answers but a foreign-language certificate that expired (older than 2 years)."""
    answers = eligible_answers(today)
    answers["foreign_language"] = {
        "test": "ielts",
        "score": "6.5",
        "date": (today - dt.timedelta(days=800)).isoformat(),
    }
    return answers


def sample_pdf(title: str, size: int = 0) -> bytes:
    """A small valid one-page PDF with a text layer; padded by a comment to ``size`` bytes."""
    from bolashaq.lib.tests.corpus import stream_obj, text_pdf

    data = text_pdf([title, "Bolashaq sample document"])
    if size > len(data):
        # An unreferenced stream object of filler keeps the file a valid PDF of that size.
        filler = stream_obj(b"", b"0" * (size - len(data) - 60))
        data = text_pdf([title, "Bolashaq sample document"], extra_objects={6: filler})
    return data


def fill_answers(
    *, applicant: User, application: Application, answers: dict[str, dict[str, str]]
) -> Application:
    for section, values in answers.items():
        application = application_save_section(
            acting_user=applicant, application=application, section=section, values=values
        )
    return application


def upload_documents(*, applicant: User, application: Application, size: int = 0) -> list[Any]:
    """Upload one sample PDF for every document on the application's checklist."""
    from bolashaq.documents.actions import document_upload

    uploaded = []
    for item in application_checklist(application):
        data = sample_pdf(item["title"]["en"].encode("ascii", "replace").decode()[:60], size)
        upload = SimpleUploadedFile(f"{item['id']}.pdf", data, content_type="application/pdf")
        uploaded.append(
            document_upload(
                acting_user=applicant, application=application, slot=item["id"], upload=upload
            )
        )
    return uploaded
