"""``python -m hepci``."""

from hepci.cli import main

raise SystemExit(main())
