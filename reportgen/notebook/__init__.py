"""The notebook renderer: an experiment as an executed Jupyter notebook of plain Keras code (a second renderer of the spec)."""

from .code import NotExportable

__all__ = ["NotExportable"]
