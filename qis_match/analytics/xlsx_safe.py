"""No live formula from user text in a workbook we write (issue 22: hostile text in exports).

Request texts typed on the public endpoints, enterprise and institution names reach the
analysts' workbooks (the unmet-demand topics quote example requests). openpyxl stores any
string that begins with ``=`` as a formula, so ``=HYPERLINK(…)`` typed into the SME search would
run in the analyst's Excel. None of our sheets holds a formula on purpose: every formula cell is
written as the text it is. Strings starting with ``+ - @``, tab or CR are already text cells in
XLSX (only CSV would evaluate them, and nothing here writes CSV).
"""

from __future__ import annotations


def neutralise(workbook) -> int:
    """Turn every formula cell of ``workbook`` into a text cell with the same characters;
    returns how many there were."""
    n = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    n += 1
    return n
