"""Serve the app and run the task worker together (development), until Ctrl+C."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from bolashaq.demo.data import ALL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Run the development web server and a background worker; print the demo sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        worker = subprocess.Popen([*manage, "worker", "--interval", "1"])  # noqa: S603
        web = subprocess.Popen([*manage, "runserver", address])  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"\nBolashaq is at http://{address}/"))
        self.stdout.write(f"Health: http://{address}/healthz   API: http://{address}/api/v1/docs")
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        with translation.override("en"):
            for demo in ALL:
                self.stdout.write(f"  {demo.role.label:<40} {demo.username}")
        self.stdout.write(
            f"Signing in asks for an SMS code: read it at http://{address}/dev/outbox/"
        )
        self.stdout.write(
            f"Self-check: http://{address}/check/   Register: http://{address}/accounts/register/"
        )
        self.stdout.write("Press Ctrl+C to stop.\n")
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.terminate()
            for process in (web, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
