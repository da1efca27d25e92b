"""Shared test setup. Fixtures live in tests/fixtures/ and are registered here."""

pytest_plugins: list[str] = []
