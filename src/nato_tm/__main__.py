"""``python -m nato_tm``: the same as the ``nato-tm`` command."""

from nato_tm.cli.main import main

main()
