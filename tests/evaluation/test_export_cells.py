"""Report cells a spreadsheet would run as formulas (a district is free text) are neutralised in
the CSV and the XLSX; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from evaluation.exports import render_csv, render_xlsx
from models.cells import TRIGGERS
from models.evaluation import Dimension, EvaluationReport, IndicatorSet
from tests.evaluation.test_report import case_values, sample_report

HOSTILE = ['=HYPERLINK("http://x","点我")', "+1-2", "-3+4", "@SUM(A1)", "\t=1", "\r=1"]


def hostile_report() -> EvaluationReport:
    report = sample_report()
    breakdowns = dict(report.breakdowns)
    breakdowns[Dimension.DISTRICT] = [
        IndicatorSet(dimension=Dimension.DISTRICT, group=name, values=case_values(index + 1))
        for index, name in enumerate(HOSTILE)
    ]
    return report.model_copy(update={"breakdowns": breakdowns})


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers() -> None:
    data = render_csv(hostile_report()).decode("utf-8-sig")

    rows = list(csv.DictReader(io.StringIO(data, newline="")))

    for row in rows:
        for cell in row.values():
            assert cell[:1] not in TRIGGERS, cell
    districts = [row["group"] for row in rows if row["section"] == "district"]
    assert {"'" + name for name in HOSTILE} <= set(districts)
    numerators = [row["numerator"] for row in rows if row["section"] == "district"]
    assert all(n.isdigit() for n in numerators if n)


def test_xlsx_cells_are_text_not_formulas_and_numbers_stay_numbers() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(hostile_report())))

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in TRIGGERS, (sheet.title, cell.value)
    district = book["分区县"]
    groups = list(dict.fromkeys(row[0].value for row in district.iter_rows(min_row=2)))
    # (XML reads a carriage return back as a line feed.)
    assert groups == ["'" + name.replace("\r", "\n") for name in HOSTILE]
    numerators = [row[4].value for row in district.iter_rows(min_row=2)]
    assert all(isinstance(n, int) for n in numerators)
