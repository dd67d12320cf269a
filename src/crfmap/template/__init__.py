"""`crfmap template`: the blank workbook a site fills in, written from a study's forms."""
