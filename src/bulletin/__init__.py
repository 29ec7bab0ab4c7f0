"""bulletin: typesets Chinese bulletins (简报) into print-ready PDF."""
__version__ = "0.1.0"
