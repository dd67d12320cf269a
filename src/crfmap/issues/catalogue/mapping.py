"""M: turning validated rows into canonical records."""

from crfmap.issues.catalogue.entries import IssueType, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

ENTRIES = (
    IssueType("M001", "lookup-not-found", E, "Value from another form not found",
              "{detail}",
              "Make sure the subject's row exists in the form the mapping looks in."),
    IssueType("M002", "record-incomplete", E, "Record lacks a required field",
              "a {expected} record needs {detail}, which this row does not give",
              "Fill in the cell, or declare a default in the mapping."),
    IssueType("M003", "unit-not-convertible", E, "Unit cannot be converted",
              "{detail}",
              "Declare the conversion in the mapping or correct the unit."),
    IssueType("M004", "record-left-out", W, "Record left out",
              "{detail}",
              "Fix the errors listed for this row, then convert again."),
    IssueType("M005", "unit-missing", E, "Number without its unit",
              "{detail}",
              "Fill in the unit cell, or make the unit column required."),
)
