"""`python -m desktop`: the desktop app alone (the `dalgo` command and the frozen app start from `dalgo`)."""

import multiprocessing

from desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # dbt's multiprocessing would otherwise re-launch a frozen app
    raise SystemExit(main())
