"""MNIST for the kit: fetch the raw IDX files (``python -m data.fetch``) and read them (``data.idx``)."""
