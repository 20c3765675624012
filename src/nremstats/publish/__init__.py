"""What the secretariat publishes: comparison ``tables``, ``disclosure`` control,
``aggregates`` (regions, rates), breakdown ``shares``, ``sdmx``, ``charts``, ``export`` (and
``export_layout``), and the annual report: its data (``publication``) and its writers
(``report_xlsx``, ``report_html``, ``report``)."""
