"""What define.xml says beyond the datasets' own metadata: origins from the mapping's CRF items, code lists for every
CT-bound variable with NCI C-codes, value-level metadata, and the CDISC stylesheet it is rendered with."""
