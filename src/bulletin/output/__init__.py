"""Stage 5, PDF → files: atomic writes, the spot colour, OFD (GB/T 33190) and the output formats."""
