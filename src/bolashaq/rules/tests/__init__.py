"""Tests for the rules engine (pure Python, no Django)."""

from __future__ import annotations
