"""The code lists the value cases match against (sex, AE term, CTCAE grade), written by hand."""

from __future__ import annotations

from crfmap.study.models import Codelist
from crfmap.values.coded import build_codelist_indexes

CODELISTS = {
    "sex": Codelist.model_validate({
        "id": "sex", "name": "Sex", "cdisc": {"name": "SEX", "nci_code": "C66731"},
        "values": [
            {"value": "M", "display": "Male", "nci_code": "C20197", "synonyms": ["муж", "мужской", "м"]},
            {"value": "F", "display": "Female", "nci_code": "C16576", "synonyms": ["жен", "женский", "ж"]}]}),
    "ae_term": Codelist.model_validate({
        "id": "ae_term", "name": "AE term",
        "values": [
            {"value": "PYREXIA", "display": "Pyrexia", "synonyms": ["Лихорадка", "Фебрильная лихорадка"]},
            {"value": "TREMOR", "display": "Tremor", "synonyms": ["Тремор"]},
            {"value": "SEIZURE", "display": "Seizure", "synonyms": ["Судороги"]},
            {"value": "RASH", "display": "Rash", "synonyms": ['"Елочная" сыпь']}]}),
    "grade": Codelist.model_validate({
        "id": "grade", "name": "CTCAE grade",
        "values": [{"value": str(grade), "display": f"Grade {grade}", "synonyms": [roman]}
                   for grade, roman in zip(range(1, 6), ("I", "II", "III", "IV", "V"))]}),
}
INDEXES = build_codelist_indexes(CODELISTS)
