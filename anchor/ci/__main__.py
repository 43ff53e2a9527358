"""``python -m anchor.ci``: see :mod:`anchor.ci.main`."""

from anchor.ci.main import main

raise SystemExit(main())
