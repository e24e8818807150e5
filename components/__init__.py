"""judgeops components: everything that thinks. No Prefect, no argv parsing, no side effects at import."""
