"""Benchmarks of the kit: ``python -m bench.speed`` times the NumPy reference against PyTorch on the CPU."""
