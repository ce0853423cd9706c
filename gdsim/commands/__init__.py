"""Sub-commands of ``gdsim`` that live in their own modules; each has ``register(sub)`` for the CLI's parser.

Modules here import Qt only inside the functions that draw, so ``gdsim <command> --json`` stays headless.
"""
