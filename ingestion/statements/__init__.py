"""Customer statements: what customers say they owe, read from CSV and XLSX and loaded into raw_statements."""
