"""realtime-digits: handwritten digits read live from a camera, a video, images or the screen.

The stable entry point is :class:`Recognizer` (``Recognizer(model_dir).recognize(frame_bgr)``);
it is imported lazily so that ``realtime-digits --help`` does not pay for TensorFlow.
"""

__all__ = ["Recognizer", "Detection", "Frame", "Settings", "UserError"]


def __getattr__(name):
    if name in ("Recognizer",):
        from realtime.pipeline import Recognizer

        return Recognizer
    if name in ("Detection", "Frame"):
        from realtime import types

        return getattr(types, name)
    if name == "Settings":
        from realtime.settings import Settings

        return Settings
    if name == "UserError":
        from realtime.errors import UserError

        return UserError
    raise AttributeError(name)
