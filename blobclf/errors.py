"""The one exception type for mistakes a user can make and fix."""


class UserError(Exception):
    """A bad value or file given by the user; the CLI prints its message as one line and exits 2."""


class ArgumentValueError(UserError, ValueError):
    """An argument out of range: a ``ValueError`` for library callers, a one-line error in the CLI."""
