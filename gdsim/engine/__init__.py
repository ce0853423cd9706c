"""The NumPy training engine. Nothing here imports Qt: it runs headless, in tests and in the CLI."""
