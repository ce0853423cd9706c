"""Recorded runs as animations (GIF with Pillow, MP4 with imageio-ffmpeg when it is installed), without Qt.

A recording can last minutes, so frames are held small: each is palettised (256 colours, Pillow's fast octree)
and its indices zlib-compressed, about 30 kB for a 640 px window instead of 740 kB of RGB. A frame identical
to the one before is dropped; the one before then simply lasts longer, because every frame keeps the time it
was taken and plays for as long as it was on screen, so the animation runs at the speed it was recorded.

An MP4 is H.264 at a constant frame rate: each frame is sent as many times as its time on screen asks,
counted on the running clock. ffmpeg (the one imageio-ffmpeg brings, or IMAGEIO_FFMPEG_EXE) is run directly
rather than through imageio-ffmpeg's writer, so its exit status is checked and its last words become the
one-line message instead of text on the terminal.
"""

from __future__ import annotations

import errno
import importlib.util
import itertools
import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageOps

from gdsim.io.atomic import one_line, write_by_name, write_file
from gdsim.io.tables import check_folder

FORMATS = ("gif", "mp4")
MP4_PACKAGE = "imageio-ffmpeg"
MIN_WIDTH, MAX_WIDTH = 64, 3840
MAX_FPS = 50  # GIF delays are in 1/100 s and browsers play anything under 2/100 s slower
# x264 'veryfast' at quality 20: as close to the frames as its default (medium, 23) and as small, in 0.4× the
# time (bench/bench_recorder.py; most of what differs from a frame is yuv420p's halved colour resolution)
X264 = ("-preset", "veryfast", "-crf", "20")
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
    if ext == "mp4":
        try:
            ffmpeg_exe()
        except ValueError as e:
            raise ValueError(f"cannot record to '{path}': {e}") from None
    check_folder(path, "record to")
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
        self.dropped = 0  # frames dropped because nothing had changed
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
            self.dropped += 1
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

    def marks(self) -> list[float]:
        """Seconds from the first frame at which each frame appears, then the moment the last one goes: when
        the recording stopped, plus HOLD_LAST so the result is seen before the animation loops."""
        if not self._frames:
            return []
        t0 = self._frames[0].time
        times = [f.time - t0 for f in self._frames]
        end = (self.end - t0) if self.end is not None else times[-1]
        return [*times, max(end, times[-1]) + HOLD_LAST]

    def durations(self) -> list[int]:
        """Milliseconds each GIF frame stays up, rounded on the running clock to GIF's 10 ms (no drift builds
        up), at least 20 ms (browsers slow anything shorter down)."""
        marks = [10 * round(t * 100) for t in self.marks()]
        return [max(20, b - a) for a, b in itertools.pairwise(marks)]

    def repeats(self, fps: float) -> list[int]:
        """How many times each frame is sent to a constant-rate video of ``fps`` so it plays at the recorded
        speed: counted on the running clock (no drift), each frame at least once (the last state is kept)."""
        counts, shown = [], 0
        for mark in self.marks()[1:]:
            upto = max(shown + 1, round(mark * fps))
            counts.append(upto - shown)
            shown = upto
        return counts


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
    """H.264 in yuv420p (what slides and browsers play): its width and height must be even, so an odd last
    column or row is left out rather than the whole picture resampled. ffmpeg writes the file itself, by name,
    into the atomic writer's temporary file; what it says on failure becomes the one-line message."""
    n = len(frames)
    w, h = frames.size or (0, 0)
    size = (max(2, w - w % 2), max(2, h - h % 2))
    exe = ffmpeg_exe()

    def run(tmp: str) -> None:
        with tempfile.TemporaryFile() as log:  # a file, not a pipe: ffmpeg can never block on a full pipe
            cmd = [exe, "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                   "-s", f"{size[0]}x{size[1]}", "-r", str(Fraction(fps).limit_denominator(1001)), "-i", "-",
                   "-an", "-c:v", "libx264", *X264, "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", tmp]
            with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                                  creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0)) as ffmpeg:
                try:
                    for i, count in enumerate(frames.repeats(fps)):
                        image = frames.image(i)
                        if image.size != size:
                            image = image.crop((0, 0, *size))
                        rgb = image.convert("RGB").tobytes()
                        for _ in range(count):
                            ffmpeg.stdin.write(rgb)  # type: ignore[union-attr]  # stdin=PIPE
                        report(i + 1, n)
                    ffmpeg.stdin.close()  # type: ignore[union-attr]
                except BrokenPipeError:
                    pass  # ffmpeg has stopped: its exit status and words say why
                except BaseException:
                    ffmpeg.kill()  # interrupted: no half video is kept (the temporary file is removed)
                    raise
                status = ffmpeg.wait()
            if status != 0:
                log.seek(0)
                words = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
                said = one_line(words[-1]) if words else f"exit status {status}"
                stopped = status < 0 or status == 255  # a signal (Ctrl+C in the terminal reaches ffmpeg too)
                raise OSError(errno.EIO, f"ffmpeg {'was stopped' if stopped else 'failed'} ({said})")

    return write_by_name(path, run)


def ffmpeg_exe() -> str:
    """The ffmpeg program imageio-ffmpeg finds (its own, or IMAGEIO_FFMPEG_EXE), or a one-line ValueError."""
    import imageio_ffmpeg  # type: ignore[import-untyped, import-not-found]  # optional: asked for only for MP4

    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        exe = ""
    if not exe or shutil.which(exe) is None:
        raise ValueError(f"MP4 needs the ffmpeg program, and {MP4_PACKAGE} found none "
                         f"(install ffmpeg, or set IMAGEIO_FFMPEG_EXE); choose a .gif file instead")
    return exe
