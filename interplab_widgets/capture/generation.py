"""Record a generation: the model's own ``generate``, then one traced pass over what it wrote.

``model.generate`` (with its KV cache) chooses the tokens; a single forward pass over
prompt + generated tokens then gives the residual stream at every step's position, which
is exactly what the model computed at that step (a causal model's past does not depend on
its future). One extra pass, no hooks inside the generation loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

from ..errors import InputError
from ..progress import checkpoint, in_request
from .runner import tokenize
from .trace import Trace

if TYPE_CHECKING:
    from ..models.handle import ModelHandle


@dataclass
class Generation:
    """A prompt and what the model generated from it.

    Attributes:
        trace: the Trace of prompt + generated tokens.
        n_prompt: number of prompt tokens; step ``s`` wrote token ``n_prompt + s``, predicted at
            position ``n_prompt + s - 1``.
        scores: the processed logits ``generate`` sampled from at each step, ``[steps, vocab]``.
    """

    trace: Trace
    n_prompt: int
    scores: torch.Tensor

    @property
    def n_steps(self) -> int:
        return self.trace.n_tokens - self.n_prompt

    @property
    def token_ids(self) -> list[int]:
        """The generated token ids, one per step."""
        return self.trace.token_ids[self.n_prompt :].tolist()

    @property
    def positions(self) -> list[int]:
        """The position whose output chose each step's token."""
        return list(range(self.n_prompt - 1, self.trace.n_tokens - 1))


def prompt_ids(handle: ModelHandle, prompt: str, chat: bool | None) -> list[int]:
    """Token ids of ``prompt``, through the tokenizer's chat template when ``chat``."""
    if chat:
        if not getattr(handle.tokenizer, "chat_template", None):
            raise InputError(f"{handle.name}'s tokenizer has no chat template: use chat=False.")
        tokenize(handle, prompt)  # the same checks on the text as everywhere else
        encoded = handle.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True
        )
        return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)
    return [token.id for token in tokenize(handle, prompt)]


@torch.no_grad()
def generate(
    handle: ModelHandle,
    prompt: str,
    *,
    max_new_tokens: int = 40,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    chat: bool | None = None,
    seed: int | None = None,
) -> Generation:
    """Generate from ``prompt`` with ``model.generate`` and trace prompt + output in one pass."""
    if not handle.is_causal:
        raise InputError(
            f"{handle.name} is an encoder ({handle.family}) and does not generate text: look at it with "
            "AttentionExplorer, or load a causal LM such as load_model('smollm2-135m')."
        )
    if max_new_tokens < 1:
        raise InputError(f"max_new_tokens must be at least 1, got {max_new_tokens}.")
    ids = prompt_ids(handle, prompt, chat)
    if len(ids) + max_new_tokens > handle.max_tokens:
        raise InputError(
            f"The prompt is {len(ids)} tokens; with max_new_tokens={max_new_tokens} it would pass "
            f"{handle.name}'s limit of {handle.max_tokens} tokens."
        )
    if seed is not None:
        torch.manual_seed(seed)
    input_ids = torch.tensor([ids], device=handle.device)
    sampling = {"temperature": temperature, "top_k": top_k} if do_sample else {"top_k": None}
    with handle.lock:
        output = _generate(handle, input_ids, max_new_tokens, do_sample, sampling)
    trace = handle.run_ids(output.sequences[0].tolist())
    return Generation(trace=trace, n_prompt=len(ids), scores=torch.stack(output.scores)[:, 0].float().cpu())


def _generate(handle: ModelHandle, input_ids: torch.Tensor, max_new_tokens: int, do_sample: bool, sampling: dict):
    """``model.generate``, stopping at the next token when the request it serves is cancelled; a bar in the
    user's cell for a long generation (a view's request shows its own progress)."""
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StopWhenCancelled(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            done = input_ids.shape[-1] - start
            checkpoint(done, max_new_tokens)
            bar.update(done - bar.n)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    start = input_ids.shape[-1]
    tokenizer = handle.tokenizer
    quiet = max_new_tokens < 16 or in_request()
    with tqdm(total=max_new_tokens, desc="generating", unit="tok", disable=quiet, leave=False) as bar:
        return handle.model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            do_sample=do_sample,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
            return_dict_in_generate=True,
            output_scores=True,
            stopping_criteria=StoppingCriteriaList([StopWhenCancelled()]),
            **sampling,
        )
