"""The return workbook a country fills: its grids (``grid``) and writing and filling it
(``workbook``)."""
