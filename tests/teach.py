"""Teach a tiny random model to answer given prompts with given lines, in seconds: a judge whose score
lines are known, for tests that compare two ways of reading the same judge."""

from __future__ import annotations

import torch


def teach(model, tokenizer, answers: dict[str, str], steps: int = 40, lr: float = 3e-2, seed: int = 0):
    """Train ``model`` in place so that each prompt (templated text) in ``answers`` goes on as its line; the
    loss is on the line's tokens only, the embeddings stay frozen (their gradient is most of a step's cost)."""
    rows = []
    for prompt, line in answers.items():
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        rows.append((prompt_ids + tokenizer(line, add_special_tokens=False)["input_ids"], len(prompt_ids)))
    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r, _ in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r, _ in rows])
    where = torch.tensor([(i, j) for i, (r, start) in enumerate(rows) for j in range(start - 1, len(r) - 1)])
    targets = ids[where[:, 0], where[:, 1] + 1]
    model.model.embed_tokens.weight.requires_grad_(False)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    torch.manual_seed(seed)
    model.train()
    for _ in range(steps):
        hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state[where[:, 0], where[:, 1]]
        loss = torch.nn.functional.cross_entropy(model.lm_head(hidden), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model
