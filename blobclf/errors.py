"""The one exception type for mistakes a user can make and fix."""


class UserError(Exception):
    """A bad value or file given by the user; the CLI prints its message as one line and exits 2."""
