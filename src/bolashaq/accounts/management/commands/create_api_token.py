"""Create an API token for an integration account; the secret is printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bolashaq.accounts.actions import api_token_create
from bolashaq.accounts.models import User


class Command(BaseCommand):
    help = "Create a bearer token for USERNAME named NAME and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}")
        _token, secret = api_token_create(acting_user=None, user=user, name=options["name"])
        self.stdout.write(secret)
