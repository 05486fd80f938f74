"""Grammar-constrained sampling for the local engine, checked after the draw rather than before.

llama.cpp's grammar sampler masks every token of the vocabulary that the grammar refuses:
~13 ms a token for SmolLM2's 49k tokens on these cores, more than the decode itself. Most
tokens of free text or of a well-prompted call are ones the grammar accepts, so (as
llama.cpp's own common sampler does) the chain draws first and the grammar judges only that
token; only a refused draw pays for the mask and is drawn again from the masked logits. The
result has the constrained distribution: a refused draw is resampled from it.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any


class ConstrainedSampler:
    """One per engine, used from its worker thread only (it reuses its buffers)."""

    def __init__(self, n_vocab: int) -> None:
        import llama_cpp
        from llama_cpp._internals import LlamaTokenDataArray

        # Any: ctypes' own stubs are stricter than the pointer juggling below needs.
        self._candidates: Any = LlamaTokenDataArray(n_vocab=n_vocab)
        self._probe: Any = llama_cpp.llama_token_data_array(
            data=(llama_cpp.llama_token_data * 1)(), size=1, selected=-1, sorted=False
        )

    @staticmethod
    def open(vocab: Any, grammar: Any) -> Any:
        """A llama.cpp grammar sampler for a LlamaGrammar, kept outside the sampler chain."""
        import llama_cpp

        sampler = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not sampler:  # llama.cpp logged the parse error
            raise ValueError("the grammar does not parse")
        return sampler

    @staticmethod
    def close(grammar: Any) -> None:
        import llama_cpp

        llama_cpp.llama_sampler_free(grammar)

    def sample(self, context: Any, index: int, chain: Any, grammar: Any) -> int:
        """The next token from the logits at `index`, accepted by the chain and the grammar."""
        import llama_cpp

        logits = llama_cpp.llama_get_logits_ith(context, index)
        token = self._pick(chain, None, logits)
        if not self._allows(grammar, token):
            token = self._pick(chain, grammar, logits)
            if not self._allows(grammar, token):
                raise RuntimeError("the grammar allows no token here")
        llama_cpp.llama_sampler_accept(grammar, token)
        llama_cpp.llama_sampler_accept(chain, token)
        return token

    def _pick(self, chain: Any, grammar: Any, logits: Any) -> int:
        import llama_cpp
        import numpy as np

        candidates = self._candidates
        candidates.copy_logits(np.ctypeslib.as_array(logits, shape=(candidates.n_vocab,)))
        array = candidates.candidates
        # Samplers may move `data`; point it back at our buffer before every pass.
        array.data = candidates.candidates_data.ctypes.data_as(llama_cpp.llama_token_data_p)
        array.selected = -1
        if grammar is not None:
            llama_cpp.llama_sampler_apply(grammar, ctypes.byref(array))
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(array))
        return int(array.data[array.selected].id)

    def _allows(self, grammar: Any, token: int) -> bool:
        import llama_cpp

        probe = self._probe
        probe.data[0].id, probe.data[0].logit, probe.data[0].p = token, 0.0, 0.0
        probe.size, probe.selected, probe.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(grammar, ctypes.byref(probe))
        return not math.isinf(probe.data[0].logit)
