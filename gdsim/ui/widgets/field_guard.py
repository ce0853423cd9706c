"""Form fields that leave the wheel and the window's shortcuts alone.

A combo or spin box under the pointer used to take every wheel notch: scrolling the Setup panel switched the
optimizer or changed Samples (and threw the run away). And a spin box with the keyboard focus took Space, S, E
and R as text, so Space after typing η blanked the field instead of starting the run. The guard fixes both
without subclassing, so plain Qt fields in any form can be guarded:

- the wheel changes a field only when the field has the focus (clicked or tabbed into); otherwise it goes to the
  scroll area around the form, which scrolls;
- a spin box lets through, as shortcuts, the keys it could never take as input (Space, letters that are not an
  exponent); Enter commits the value and hands the focus back to the window, so every shortcut works next.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

NUMBER_CHARS = "0123456789+-.,"
GUARDED = "gdsimFieldGuard"  # a dynamic property: guard() is idempotent


class FieldGuard(QtCore.QObject):
    """The event filter behind ``guard``; one per field, owned by the field."""

    def __init__(self, field: QtWidgets.QWidget):
        super().__init__(field)
        self.field = field

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        kind = event.type()
        if kind == QtCore.QEvent.Type.Wheel:
            return self._wheel(event)
        if isinstance(self.field, QtWidgets.QAbstractSpinBox):
            if kind == QtCore.QEvent.Type.ShortcutOverride and not self._is_input(event):
                event.ignore()  # not ours: the window's shortcut runs
                return True
            if kind == QtCore.QEvent.Type.KeyPress and event.key() in (QtCore.Qt.Key.Key_Return,
                                                                      QtCore.Qt.Key.Key_Enter):
                self.field.keyPressEvent(event)  # commit (emits valueChanged and editingFinished) ...
                self.field.clearFocus()  # ... then the window has the keyboard again
                return True
        return False

    def _wheel(self, event: QtGui.QWheelEvent) -> bool:
        if self.field.hasFocus():
            return False
        area = scroll_area_of(self.field)
        if area is not None:
            viewport = area.viewport()
            pos = viewport.mapFromGlobal(event.globalPosition())
            QtCore.QCoreApplication.sendEvent(viewport, QtGui.QWheelEvent(
                pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(), event.buttons(),
                event.modifiers(), event.phase(), event.inverted()))
        event.accept()  # handled here: the field itself never sees it
        return True

    def _is_input(self, event: QtGui.QKeyEvent) -> bool:
        """Whether the key could be part of a number typed here (or is editing, navigation, a chord)."""
        mods = event.modifiers() & ~(QtCore.Qt.KeyboardModifier.ShiftModifier
                                     | QtCore.Qt.KeyboardModifier.KeypadModifier)
        text = event.text()
        if mods or not text or not text.isprintable():
            return True  # Ctrl+Z, arrows, Backspace, …: the field's own
        allowed = NUMBER_CHARS + ("eE" if isinstance(self.field, QtWidgets.QDoubleSpinBox) else "")
        return all(c in allowed for c in text)


def scroll_area_of(widget: QtWidgets.QWidget) -> QtWidgets.QAbstractScrollArea | None:
    """The nearest scroll area the widget sits in (a form in a dock), or None (a toolbar)."""
    w = widget.parentWidget()
    while w is not None:
        if isinstance(w, QtWidgets.QScrollArea):
            return w
        w = w.parentWidget()
    return None


def guard(field: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """Guard one combo or spin box (idempotent); returns it, so creation sites can wrap the constructor."""
    if field.property(GUARDED):
        return field
    field.setProperty(GUARDED, True)
    field.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # the wheel alone never focuses it
    field.installEventFilter(FieldGuard(field))
    return field

