"""The kit's own fixtures, as a user's project gets them from the `pytest11` entry point."""

from dots_testing.plugin import dots_sandbox, dots_sandbox_session

__all__ = ["dots_sandbox", "dots_sandbox_session"]
