"""Supervised fine-tuning of a judge: examples, augmentation, collation and the training loop."""
