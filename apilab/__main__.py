"""``python -m apilab`` runs the command-line interface."""

from apilab.cli import main

if __name__ == "__main__":
    main()
