"""Form and JSON field rules shared by the HTML pages and the API."""

from __future__ import annotations

import re

__all__ = ["validate_note", "validate_signup"]

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


def validate_signup(username: str, password: str, confirm: str) -> dict[str, str]:
    """Field name → message for every invalid field (empty when all are fine)."""
    errors: dict[str, str] = {}
    if not _USERNAME.match(username):
        errors["username"] = "Use 3 to 32 letters, digits, dots, dashes or underscores."
    if len(password) < 8:
        errors["password"] = "Use at least 8 characters."
    elif len(password) > 256:
        errors["password"] = "Use at most 256 characters."
    elif password != confirm:
        errors["confirm"] = "The two passwords differ."
    return errors


def validate_note(title: str, body: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the note a title."
    elif len(title) > 120:
        errors["title"] = f"Keep the title under 120 characters (this one has {len(title)})."
    if len(body) > 20_000:
        errors["body"] = "Keep the text under 20,000 characters."
    return errors
