"""reportgen: reproducible deep-learning practical-work reports from experiment files."""

__version__ = "0.1.0"
__all__ = ["Experiment", "ReportgenError", "__version__"]


def __getattr__(name: str):  # `from reportgen import Experiment` without importing the pipeline for the CLI's sake
    if name == "Experiment":
        from .api import Experiment

        return Experiment
    if name == "ReportgenError":
        from .errors import ReportgenError

        return ReportgenError
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
