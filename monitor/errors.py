"""The project's own error types: every failure a user can cause ends in one of these."""


class MonitorError(Exception):
    """A failure the user can act on; the CLI prints its message without a traceback."""

    exit_code = 1


class ConfigError(MonitorError):
    """The configuration is invalid; the message names the file and the key."""

    exit_code = 2


class InvalidPost(MonitorError):
    """One input record cannot become a Post; the batch it came in goes on without it."""


class EmptyText(InvalidPost):
    """A post with no text (an image or a video only): nothing to score. Imports count it as
    skipped, not as an error."""
