"""The one place objects are wired together (``wiring``) and the ``compound`` command line:
``cli`` is its light entry point, ``commands`` builds the parser from each command group's
``register``; ``context`` is what a command shares (config, store, bus)."""
