"""The export's opt-in PII scrubber: e-mails, phone numbers, URLs with credentials."""

import pytest

from ratings.pii import scrub_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+arena@example.co.uk please", "mail me at [email] please"),
        ("call +1 (555) 123-4567 or 555-123-4567.", "call [phone] or [phone]."),
        ("Tel: +44 20 7946 0958", "Tel: [phone]"),
        ("ring +4915112345678", "ring [phone]"),
        (
            "see https://api.example.com/v1/data?user=3&access_token=abc123.",
            "see https://api.example.com/v1/data?[redacted].",
        ),
        (
            "https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX1",
            "https://hooks.example.com/[redacted]",
        ),
        ("https://bob:hunter2@db.example.com/x", "https://db.example.com/x"),
    ],
)
def test_scrubs_what_identifies_or_unlocks(text: str, expected: str) -> None:
    assert scrub_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In 1969, 3 astronauts flew 384,400 km.",
        "See https://en.wikipedia.org/wiki/Bradley%E2%80%93Terry_model?action=history",
        "version 2.5.1 released 2024-08-13",
        "x = 12345 * 67890",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert scrub_pii(text) == text
