"""Writes tests/data/excel/cells.xls, the legacy (BIFF8) workbook the
workbook input tests read, with xlwt from the Python package index:

    python3 -m venv /tmp/xls && /tmp/xls/bin/pip install xlwt==1.3.0
    /tmp/xls/bin/python scripts/xls-fixture.py

It holds the same cells as the .xlsx case in core/tests/excel.rs: a first
sheet that is not the firms, then `Firms` with floats that are not what
they print as in binary, a date stored as a serial number with a date
format, a text date, booleans and empty cells.
"""
import datetime
import pathlib

import xlwt

wb = xlwt.Workbook()
wb.add_sheet("Notes").write(0, 0, "not the firms")
ws = wb.add_sheet("Firms")
date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
for c, h in enumerate(["id", "x", "n", "d", "b"]):
    ws.write(0, c, h)
ws.write(1, 0, "a")
ws.write(1, 1, 0.1)
ws.write(1, 2, 12.0)
ws.write(1, 3, datetime.date(2026, 1, 5), date)
ws.write(1, 4, True)
ws.write(2, 0, "b")
ws.write(2, 1, 1e-7)
ws.write(2, 3, "2026-02-28")
ws.write(4, 0, "c")
ws.write(4, 1, 0.1 + 0.2)
ws.write(4, 2, 12.5)
ws.write(5, 0, "d")
ws.write(5, 2, 42.0)
out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "excel" / "cells.xls"
wb.save(str(out))
print(out)
