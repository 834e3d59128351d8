"""Consent: versioned forms, what each participant agreed to, withdrawal, and the rules
that let consent govern the data (recording, quoting, archiving)."""
