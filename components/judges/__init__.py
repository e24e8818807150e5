"""Judge prompt templates (what a judge is shown) and output parsers (what it said), one pair per format."""
