"""`python -m markaz` runs the command line."""

from markaz.cli import main

main()
