"""The command line: the ``app`` and its shared options, one module per help panel
(``returns``, ``store``, ``publish``), ``main`` (the entry point) and ``render``, the one
terminal renderer."""
