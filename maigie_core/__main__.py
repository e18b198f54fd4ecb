"""``python -m maigie_core`` is the ``maigie`` command."""

from maigie_core.cli import main

main()
