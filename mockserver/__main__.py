"""``python -m mockserver`` is the ``apple-music-mock`` command."""

from mockserver.cli import main

raise SystemExit(main())
