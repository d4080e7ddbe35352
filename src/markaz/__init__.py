"""markaz: the software of a multinational information-exchange centre."""

__version__ = "0.1.0"
