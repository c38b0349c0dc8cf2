"""The rule for the names people give datasets and collections."""

import unicodedata

NAME_MAX_LENGTH = 255


def name_problem(name: str) -> str | None:
    """Why a (trimmed) name is not acceptable, or None."""
    if not name:
        return "name must not be empty"
    if len(name) > NAME_MAX_LENGTH:
        return f"name must be at most {NAME_MAX_LENGTH} characters"
    if any(unicodedata.category(char) == "Cc" for char in name):
        return "name must not contain control characters"
    return None
