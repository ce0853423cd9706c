from gdsim.cli import main

raise SystemExit(main())
