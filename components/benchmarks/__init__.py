"""Public judge benchmarks: their own figures reproduced from their released judgments (released.py, with
llmbar.py and judgebench.py), and any judge on any imported set under the same figure names (figures.py,
commands.py: ``judgeops evaluate``). Nothing is imported here, so a stage that needs one module (the report
stage: figures.py) depends on that module alone."""
