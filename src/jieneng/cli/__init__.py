"""Command-line interface (``jieneng``)."""
