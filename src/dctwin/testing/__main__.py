"""``python -m dctwin.testing --write | --check``: regenerate or check the golden run."""

from dctwin.testing.golden import main

raise SystemExit(main())
