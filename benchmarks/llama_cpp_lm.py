"""llama.cpp behind logprob mode's model call, for judge_throughput.py's (g) arm: the fast CPU path a user
would reach for, read by the pipeline's own prompts and rules so that the comparison is like for like.

llama-cpp-python runs one sequence at a time and keeps the last one's KV cache; a row that starts like the
previous one continues from where the two part (what llama-cpp-python's own ``generate`` does), so one
question's answers, which logprob mode batches together, pay for their shared start once. Only the last
positions' logits are computed (no ``logits_all``). Not a pipeline engine: the GGUF conversion needs
llama.cpp's converter script, which no wheel ships (benchmarks/README.md says how the file was made).
"""

from __future__ import annotations

import numpy as np

from components.judges.whole_rows import WholeRowsCausalLM


class LlamaCppCausalLM(WholeRowsCausalLM):
    def __init__(self, gguf: str, threads: int, context: int = 2048):
        import llama_cpp

        self._logits_ith = llama_cpp.llama_get_logits_ith
        self.llm = llama_cpp.Llama(
            model_path=gguf, n_ctx=context, n_threads=threads, n_threads_batch=threads, verbose=False
        )
        self.vocab = self.llm.n_vocab()

    def last_logits(self, rows: list[list[int]], keep: int) -> np.ndarray:
        return np.stack([[self._after(row[: len(row) - keep + 1 + j]) for j in range(keep)] for row in rows])

    def _after(self, tokens: list[int]) -> np.ndarray:
        """Next-token logits after ``tokens``; the start they share with the cached sequence is not rerun
        (at least the last token is, so its logits are fresh)."""
        cached = self.llm.input_ids[: self.llm.n_tokens].tolist()
        shared = next((i for i, (a, b) in enumerate(zip(cached, tokens, strict=False)) if a != b), len(cached))
        self.llm.n_tokens = min(shared, len(tokens) - 1)  # eval() drops the cache past n_tokens
        self.llm.eval(tokens[self.llm.n_tokens :])
        return np.ctypeslib.as_array(self._logits_ith(self.llm.ctx, -1), shape=(self.vocab,)).copy()
