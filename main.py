from gdsim.ui.app import main

raise SystemExit(main())
