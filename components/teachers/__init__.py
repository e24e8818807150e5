"""Teachers label pairs of answers with 1-10 scores, a verdict and a short reason."""
