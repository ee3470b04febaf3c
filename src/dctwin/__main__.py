"""``python -m dctwin`` runs the command-line interface."""

import sys

from dctwin.cli import main

sys.exit(main())
