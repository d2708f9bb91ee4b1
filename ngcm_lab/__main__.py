"""`python -m ngcm_lab …` runs the command line (same as the `ngcm-lab` console script)."""

from ngcm_lab.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
