"""Shared ground: blocks of samples, result types, settings, errors, the trace layout, the wire format.

Nothing here imports Numba or SciPy, nor any other part of the package.
"""
