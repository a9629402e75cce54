"""Scripts that regenerate the bundled data from the checkout; not part of the installed package."""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
"""The repository checkout these scripts run from; their default paths are inside it."""
