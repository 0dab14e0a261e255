"""Energy-saving projects: registry and lifecycle, contracts, boundaries, M&V runs,
non-routine adjustments, statements, settlement and alerts — one use case per function."""
