"""Recorded runs as animations (GIF with Pillow, MP4 with imageio-ffmpeg when it is installed), without Qt.

A recording can last minutes, so frames are held small: each is palettised (256 colours, Pillow's fast octree)
and its indices zlib-compressed, about 30 kB for a 640 px window instead of 740 kB of RGB. A frame identical
to the one before is dropped; the one before then simply lasts longer, because every frame keeps the time it
was taken and plays for as long as it was on screen, so the animation runs at the speed it was recorded.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from gdsim.io.atomic import write_file

FORMATS = ("gif", "mp4")
MP4_PACKAGE = "imageio-ffmpeg"
MIN_WIDTH, MAX_WIDTH = 64, 3840
MAX_FPS = 50  # GIF delays are in 1/100 s and browsers play anything under 2/100 s slower
HOLD_LAST = 1.0  # seconds the last frame stays up before a GIF loops: the result is seen

Progress = Callable[[int, int], object]


def has_mp4_encoder() -> bool:
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def check_path(path: str | os.PathLike) -> str:
    """The format ('gif' or 'mp4') of ``path``, or a ValueError that says in one line what to choose."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"cannot record to '{path}': choose a .gif (or .mp4) file")
    if ext == "mp4" and not has_mp4_encoder():
        raise ValueError(f"cannot record to '{path}': MP4 needs the {MP4_PACKAGE} package "
                         f"(pip install {MP4_PACKAGE}); choose a .gif file instead")
    if os.path.isdir(path):
        raise ValueError(f"cannot record to '{path}': it is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"cannot record to '{path}': the folder '{parent}' does not exist")
    return ext


def check_settings(width: int, fps: float) -> None:
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"the recording's width must be {MIN_WIDTH} to {MAX_WIDTH} pixels, got {width}")
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"the recording's frame rate must be above 0 and at most {MAX_FPS} frames/s, got {fps:g}")


@dataclass(frozen=True)
class Frame:
    time: float       # seconds, when it was taken
    palette: bytes    # 768 bytes of RGB
    pixels: bytes     # zlib-compressed palette indices, row by row


class Frames:
    """The frames of one recording, all the size of the first (a later, different size is letterboxed)."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None
        self._frames: list[Frame] = []
        self._last_rgb: bytes | None = None
        self.repeats = 0  # frames dropped because nothing had changed
        self.end: float | None = None  # when the recording stopped

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return sum(len(f.pixels) + len(f.palette) for f in self._frames)

    def add(self, rgb: bytes, size: tuple[int, int], time: float) -> bool:
        """Keep a frame (packed RGB rows of ``size``) taken at ``time``; False if it repeats the last one."""
        image = Image.frombytes("RGB", size, rgb)
        if self.size is None:
            self.size = size
        elif size != self.size:
            image = ImageOps.pad(image, self.size, color=(255, 255, 255))
            rgb = image.tobytes()
        if rgb == self._last_rgb:
            self.repeats += 1
            return False
        self._last_rgb = rgb
        indexed = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        palette = bytes(indexed.getpalette() or b"")[:768].ljust(768, b"\0")
        self._frames.append(Frame(time, palette, zlib.compress(indexed.tobytes(), 1)))
        return True

    def image(self, i: int) -> Image.Image:
        f = self._frames[i]
        image = Image.frombytes("P", self.size or (0, 0), zlib.decompress(f.pixels))  # a frame has set the size
        image.putpalette(f.palette)
        return image

    def durations(self) -> list[int]:
        """Milliseconds each frame stays up: until the next one was taken (the last: until the recording
        stopped, plus HOLD_LAST). Rounded on the running clock to GIF's 10 ms, so no drift builds up."""
        if not self._frames:
            return []
        t0 = self._frames[0].time
        times = [f.time for f in self._frames]
        last = max(self.end if self.end is not None else times[-1], times[-1]) + HOLD_LAST
        marks = [10 * round((t - t0) * 100) for t in [*times, last]]
        return [max(20, b - a) for a, b in itertools.pairwise(marks)]


def encode(frames: Frames, path: str | os.PathLike, progress: Progress | None = None, fps: float = 15) -> Path:
    """Write the recording to ``path`` (GIF or MP4 by its extension) atomically; ``progress(done, total)``
    is called as frames are encoded. ``fps`` is the MP4's constant rate (frames are repeated to keep time)."""
    ext = check_path(path)
    if len(frames) == 0:
        raise ValueError("nothing was recorded: no frame was taken")
    report = progress or (lambda done, total: None)
    if ext == "gif":
        return write_file(path, lambda f: _write_gif(frames, f, report))
    return _write_mp4(frames, Path(path), fps, report)


def _write_gif(frames: Frames, f, report: Progress) -> None:
    n = len(frames)
    durations = frames.durations()

    def rest() -> Iterator[Image.Image]:  # Pillow reads them one by one: progress as it goes
        for i in range(1, n):
            report(i, n)
            yield frames.image(i)

    first = frames.image(0)
    first.save(f, format="GIF", save_all=True, append_images=rest(), duration=durations if n > 1 else durations[0],
               loop=0, optimize=False, disposal=1)
    report(n, n)


def _write_mp4(frames: Frames, path: Path, fps: float, report: Progress) -> Path:
    import imageio_ffmpeg  # type: ignore[import-not-found]  # optional: check_path has made sure it is there

    n = len(frames)
    w, h = frames.size or (0, 0)
    with tempfile.TemporaryDirectory(prefix="gdsim-record-") as folder:
        tmp = os.path.join(folder, "run.mp4")
        writer = imageio_ffmpeg.write_frames(tmp, (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                             macro_block_size=2, ffmpeg_log_level="error")
        writer.send(None)  # start ffmpeg
        try:
            for i, ms in enumerate(frames.durations()):
                rgb = frames.image(i).convert("RGB").tobytes()
                for _ in range(max(1, round(ms * fps / 1000))):
                    writer.send(rgb)
                report(i + 1, n)
        finally:
            writer.close()
        with open(tmp, "rb") as src:
            return write_file(path, lambda f: shutil.copyfileobj(src, f))
