"""Record a widget (the whole window or one panel) as an animated GIF or an MP4.

A frame is taken after each drawn snapshot, at most ``fps`` times a second (a snapshot that comes too soon
is taken when its turn comes, so the last state of a run is never lost), and once a second besides, so
surfaces and set-up changes that arrive without a snapshot are seen too. Frames are downscaled to ``width``
and handed to ``gdsim.io.animation.Frames``, which keeps them palettised and compressed. Stop encodes in a
QThreadPool thread, reporting progress, so the window never freezes; the file is written atomically.
"""

from __future__ import annotations

import time
import traceback

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QObject, Signal, Slot

from gdsim.io import animation

DEFAULT_WIDTH, DEFAULT_FPS = 640, 15
HEARTBEAT_MS = 1000
# Platforms whose screen grab copies the window's own backing store: ~1 ms instead of the ~20-60 ms of painting
# the whole widget again with QWidget.grab(). Elsewhere a screen grab may catch a window lying on top (X11),
# need a permission (macOS) or come back empty (Wayland), so the widget is painted again.
BACKING_STORE_PLATFORMS = {"offscreen"}


def grab(widget: QtWidgets.QWidget) -> QtGui.QImage:
    """What ``widget`` shows now, as cheaply as the platform allows."""
    top = widget.window()
    handle = top.windowHandle()
    if QtGui.QGuiApplication.platformName() in BACKING_STORE_PLATFORMS and widget.isVisible() \
            and handle is not None and handle.isExposed():
        at = widget.mapTo(top, QtCore.QPoint(0, 0))
        shot = handle.screen().grabWindow(top.winId(), at.x(), at.y(), widget.width(), widget.height())
        if not shot.isNull():
            return shot.toImage()
    return widget.grab().toImage()


class _Signals(QObject):
    """The encoding thread's voice: emitted there, delivered (queued) in the GUI thread."""
    sigProgress = Signal(int, int)
    sigDone = Signal(str)
    sigFailed = Signal(str)


class _Encode(QtCore.QRunnable):
    def __init__(self, frames: animation.Frames, path: str, fps: float, signals: _Signals):
        super().__init__()
        self.frames, self.path, self.fps, self.signals = frames, path, fps, signals
        self.setAutoDelete(False)  # the Recorder holds it; Python owns it

    def run(self) -> None:
        try:
            animation.encode(self.frames, self.path, self.signals.sigProgress.emit, fps=self.fps)
        except (ValueError, OSError) as e:
            self.signals.sigFailed.emit(str(e))
            return
        except Exception:  # noqa: BLE001 - a message, never a dead thread
            self.signals.sigFailed.emit("could not encode the recording: "
                                        + traceback.format_exc().strip().splitlines()[-1])
            return
        self.signals.sigDone.emit(self.path)


class Recorder(QObject):
    """One recording of one widget into one file. ``start()``, feed it ``on_snapshot`` (queued, after the
    panels have drawn), ``stop()``; then ``sigFinished(path)`` or ``sigFailed(message)``."""

    sigProgress = Signal(int, int)  # frames encoded, frames in all
    sigFinished = Signal(str)
    sigFailed = Signal(str)

    def __init__(self, widget: QtWidgets.QWidget, path: str, width: int = DEFAULT_WIDTH,
                 fps: float = DEFAULT_FPS, parent: QObject | None = None):
        """Refuses (ValueError, one line) a path or settings it cannot use, before anything is recorded."""
        super().__init__(parent)
        self.even = animation.check_path(path) == "mp4"
        animation.check_settings(width, fps)
        self.widget, self.path, self.width, self.fps = widget, path, width, fps
        self.frames = animation.Frames()
        self.recording = False
        self.encoding = False
        self.grab_seconds = 0.0  # time spent taking frames, for the cost report
        self.grabs = 0
        self._started = self._last = 0.0
        self._due = QtCore.QTimer(self)
        self._due.setSingleShot(True)
        self._heartbeat = QtCore.QTimer(self)
        self._heartbeat.setInterval(HEARTBEAT_MS)
        for timer in (self._due, self._heartbeat):
            timer.timeout.connect(self._take)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.sigProgress.connect(self.sigProgress)
        self._signals.sigDone.connect(self._on_done)
        self._signals.sigFailed.connect(self._on_failed)
        self._job: _Encode | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started if self.recording else 0.0

    def start(self) -> None:
        self.recording = True
        self._started = time.monotonic()
        self._take()
        self._heartbeat.start()

    @Slot(object)
    def on_snapshot(self, _snapshot=None) -> None:
        """A snapshot was drawn: take a frame now, or when the frame rate allows."""
        if not self.recording or self._due.isActive():
            return
        wait = self._last + 1.0 / self.fps - time.monotonic()
        if wait <= 0:
            self._take()
        else:
            self._due.start(max(1, int(wait * 1000)))

    def stop(self) -> None:
        """Take the last frame and encode in a worker thread (progress, then sigFinished or sigFailed)."""
        if not self.recording:
            return
        self._due.stop()
        self._heartbeat.stop()
        self._take()
        self.recording = False
        self.frames.end = time.monotonic() - self._started
        self.encoding = True
        self._job = _Encode(self.frames, self.path, self.fps, self._signals)
        self._pool.start(self._job)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the encoding is written (closing the app, a scripted run); True when done."""
        done = self._pool.waitForDone(msecs)
        QtCore.QCoreApplication.sendPostedEvents(self._signals)  # deliver its last signals now
        return done

    def _take(self) -> None:
        if not self.recording:
            return
        began = time.perf_counter()
        self._last = time.monotonic()
        image = grab(self.widget)
        if image.width() > self.width:
            image = image.scaledToWidth(self.width, QtCore.Qt.TransformationMode.SmoothTransformation)
        if self.even:  # H.264 in yuv420p: the odd last column or row is left out (the file's size is the frames')
            image = image.copy(0, 0, max(2, image.width() // 2 * 2), max(2, image.height() // 2 * 2))
        image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
        w, h = image.width(), image.height()
        if w and h:
            rows = np.frombuffer(image.constBits(), np.uint8, count=h * image.bytesPerLine())
            rgb = rows.reshape(h, image.bytesPerLine())[:, :w * 3].tobytes()  # rows are padded to 4 bytes
            self.frames.add(rgb, (w, h), self._last - self._started)
        self.grab_seconds += time.perf_counter() - began
        self.grabs += 1

    @Slot(str)
    def _on_done(self, path: str) -> None:
        self.encoding = False
        self.sigFinished.emit(path)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.encoding = False
        self.sigFailed.emit(message)
