"""`python -m studio_ext.cli`: the `studio` command."""

from . import main

if __name__ == "__main__":  # pragma: no cover
    main()
