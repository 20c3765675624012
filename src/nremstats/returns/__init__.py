"""A received return, one stage a module: ``read`` (bytes, cells) -> ``locate`` (template
grids, CSV columns; ``located`` is their result) -> ``mapping`` (values, labels, metadata)
-> ``validate`` (schema, ``balance``, ``plausibility``, ``rules``); ``pipeline`` runs them for
a file, ``results`` says what happened, ``feedback`` annotates a country's workbook.
Foreign layouts are ``returns.layouts``."""
