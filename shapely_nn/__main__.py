"""`python -m shapely_nn` runs the `shapely-nn` command line."""

from ._cli import entry

if __name__ == "__main__":
    entry()
