"""Bank statements: parsers that turn CAMT.053, MT940/MT942, BAI2 and mapped CSV files into `records`.

The parsers are pure functions over a binary stream; `detect.parse_statement_file` picks one by content.
"""
