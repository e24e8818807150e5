"""Judge prompt templates (what a judge is shown) and output parsers (what it said), one pair per format;
the judges that use them."""

# The pipeline's own judges by name: the judge stage writes one judgments file for each, the report reads them.
from components.vocabulary import PIPELINE_JUDGES

__all__ = ["PIPELINE_JUDGES"]
