"""The fault injection as a Django app, installed only by ``tests/faults/fault_settings.py``."""

from __future__ import annotations

from django.apps import AppConfig


class FaultsConfig(AppConfig):
    name = "tests.faults"
    label = "faults"
    verbose_name = "Fault injection (tests only)"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from tests.faults.injection import on_save

        post_save.connect(on_save, dispatch_uid="faults.on_save")
