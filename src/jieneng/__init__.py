"""jieneng (节能): energy and resource statistics for Chinese public institutions."""

__version__ = "0.1.0"
__all__ = ["__version__"]
