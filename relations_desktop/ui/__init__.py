"""The desktop interface (PySide6): a thin face over :mod:`relations_desktop.core.services`."""
