"""``python -m finpolicy`` runs the command line."""

from finpolicy.cli import main

main()
