"""Trial Summary parameters crfmap knows by short name: TSPARMCD → TSPARM (CDISC CT, code lists
TSPARMCD C66738 and TSPARM C67152; names as CDISC SDTM-MSG v2.0 TS uses them)."""

PARAMETERS = {
    "ACTSUB": "Actual Number of Subjects", "ADAPT": "Adaptive Design", "ADDON": "Added on to Existing Treatments",
    "AGEMAX": "Planned Maximum Age of Subjects", "AGEMIN": "Planned Minimum Age of Subjects",
    "DCUTDESC": "Data Cutoff Description", "DCUTDTC": "Data Cutoff Date", "DOSE": "Dose per Administration",
    "DOSFRM": "Dose Form", "DOSFRQ": "Dosing Frequency", "DOSU": "Dose Units",
    "FCNTRY": "Planned Country of Investigational Sites", "HLTSUBJI": "Healthy Subject Indicator",
    "INDIC": "Trial Disease/Condition Indication", "INTMODEL": "Intervention Model", "INTTYPE": "Intervention Type",
    "LENGTH": "Trial Length", "NARMS": "Planned Number of Arms", "OBJPRIM": "Trial Primary Objective",
    "OUTMSPRI": "Primary Outcome Measure", "PCLAS": "Pharmacologic Class", "PLANSUB": "Planned Number of Subjects",
    "RANDOM": "Trial is Randomized", "REGID": "Registry Identifier", "ROUTE": "Route of Administration",
    "SDTIGVER": "SDTM IG Version", "SDTMVER": "SDTM Version", "SENDTC": "Study End Date",
    "SEXPOP": "Sex of Participants", "SPONSOR": "Clinical Study Sponsor", "SSTDTC": "Study Start Date",
    "STOPRULE": "Study Stop Rules", "STYPE": "Study Type", "TBLIND": "Trial Blinding Schema",
    "TCNTRL": "Control Type", "TDIGRP": "Diagnosis Group", "TINDTP": "Trial Intent Type", "TITLE": "Trial Title",
    "TPHASE": "Trial Phase Classification", "TRT": "Investigational Therapy or Treatment", "TTYPE": "Trial Type",
}
