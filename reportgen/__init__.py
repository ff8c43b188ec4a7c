"""reportgen: reproducible deep-learning practical-work reports from experiment files."""

__version__ = "0.1.0"
__all__ = ["__version__"]
