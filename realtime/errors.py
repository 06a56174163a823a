"""The one exception type for mistakes a user can fix (bad path, no camera, wrong model).

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its
traceback.
"""


class UserError(Exception):
    """A problem in the user's input or environment; the message says what to do about it."""
