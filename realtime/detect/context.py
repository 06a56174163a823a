"""What a window of a view is judged by: the whole view's own statistics.

Four steps judge a candidate against the frame it is on, not only against its own pixels: the
threshold's core floor (the frame's noise), the stroke merge (the typical digit's height), the
ink contrast filter (the texture bar a frame of desk grain raises, and how far strokes fade
into the ground); and one step, the boxes', looks for what a view either holds or does not
(printed boxes). A stream's kept_digits detects only windows of a kept view again; read on
what a window alone holds, those figures are another frame's (a tile of bare desk is all
texture, a tile of one small digit has a small typical height), and the window finds nearly,
not exactly, what the whole frame finds. So the whole frame's figures are kept with its regions
(Regions.context) and every window of that view is searched with them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ViewContext:
    """A view's statistics, as its whole frame read them.

    noise_sigma: robust sigma of its noise on the surface (threshold.noise_sigma; None where the
    threshold does not use it: light ink, fixed offsets); typical_height: a whole digit's height
    in working px (strokes.typical_height); texture_bar: the contrast-to-noise ratio a
    candidate must reach (filters.ink_contrast); flank_px: how far strokes fade into the ground;
    boxes: whether the view holds printed boxes (boxes.remove_boxes took sides away): a view
    without them is searched for none in its windows (a form's boxes do not appear mid-view;
    a window that cut a digit's loop from its surroundings could take it for one).
    """

    noise_sigma: float | None
    typical_height: float
    texture_bar: float
    flank_px: int
    boxes: bool = True
