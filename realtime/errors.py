"""The one exception type for mistakes a user can fix (bad path, no camera, wrong model), and
the command-line number type shared by the project's scripts.

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its
traceback.
"""

import argparse


class UserError(Exception):
    """A problem in the user's input or environment; the message says what to do about it."""


def whole_number(minimum: int):
    """An argparse type: a whole number >= minimum; argparse turns its refusal into one line."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, {minimum} or more, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse
