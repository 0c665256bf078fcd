"""Framework-free helpers: IIN/BIN, the working-day calendar, upload inspection, letters.

Nothing in this package imports Django; every module is usable from scripts and rules.
"""

from __future__ import annotations
