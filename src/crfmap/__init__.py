"""crfmap: clinical study spreadsheets to HL7 FHIR R4 and CDISC SDTM from one declarative mapping."""

__version__ = "0.1.0"
