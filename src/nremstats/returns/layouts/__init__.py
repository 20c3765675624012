"""Foreign layouts (``schemas/layouts/``): the ``declaration`` of a layout file, its
``detect``-ion in a file, ``reshape`` (header rows, wide and packed tables), ``rows`` (columns
mapped to codes, rows rejected with a reason), ``cases`` (case records counted), ``locate``
(the located records) and ``draft`` (a layout drafted for an unknown file)."""
