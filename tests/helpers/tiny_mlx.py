"""A tiny mlx-lm model built here (no download): a BPE tokenizer trained here, random weights.

The model has the Qwen3 shape (hidden 64, 2 layers, ~0.2 M parameters), deterministic weights
(`mx.random.seed(0)`) and a ChatML template that renders OpenAI tools and tool calls with
`<tool_call>` tags, so mlx-lm picks its JSON tool parser and returns real structured
`tool_calls`. Untrained, it answers in noise, which is all the flywheel pipeline needs (LoRA,
fuse, quantize and serve run for real on it). `train` then teaches it exact requests, as
rendered by the same chat template and message handling mlx_lm.server uses, until greedy
decoding reproduces each completion (the agent's real-server test):

    request 1 (the user's question)       -> <tool_call>{"name": "read_file", ...}</tool_call>
    request 2 (with the tool's result)     -> a plain answer
"""

# ruff: noqa: E501  (the chat template is kept as mlx-lm reads it)

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
]

CHAT_TEMPLATE = r"""
{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
{{- '# Tools\n\n<tools>' }}
{%- for tool in tools %}{{- '\n' }}{{- tool | tojson }}{%- endfor %}
{{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'assistant' and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\n' + (message.content or '') + '<|im_end|>\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{- '\n' + message.content }}{%- endif %}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
{{- '\n<tool_call>\n{"name": "' + tool_call.name + '", "arguments": ' }}
{%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}
{{- '}\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\n<tool_response>\n' + (message.content or '') + '\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\n' }}{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}
""".strip()


def build_tiny_model(
    out: Path, texts: Iterable[str], *, vocab_size: int = 4096, split_words: bool = True
) -> Path:
    """Write a loadable mlx-lm model directory at `out` and return it.

    Args:
        out: The model directory to create.
        texts: What the tokenizer learns from (the prompts the model will see, for example),
            so those prompts stay short in tokens. Taken as given: repeat a text to weigh it more.
        vocab_size: The most tokens the tokenizer may learn (a small corpus gives fewer).
        split_words: Split on word boundaries before merging (the usual byte-level regex);
            False lets merges cross words, so a fixed prompt becomes very few tokens.
    """
    import mlx.core as mx
    from mlx_lm.utils import _get_classes, save_config, save_model
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(
        add_prefix_space=False, use_regex=split_words
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    # A template file as well: some transformers versions read only chat_template.jinja.
    (out / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")
    config = {
        "model_type": "qwen3",
        "architectures": ["Qwen3ForCausalLM"],
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "rms_norm_eps": 1e-6,
        "vocab_size": tokenizer.get_vocab_size(),
        "max_position_embeddings": 32768,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "eos_token_id": tokenizer.token_to_id("<|im_end|>"),
    }
    model_class, args_class = _get_classes(config)
    mx.random.seed(0)
    model = model_class(args_class.from_dict(config))
    mx.eval(model.parameters())
    save_model(out, model)
    save_config(config, out / "config.json")
    (out / "punie-tiny.json").write_text(
        json.dumps({"built_by": "tests/helpers/tiny_mlx.py"}) + "\n"
    )
    return out


def prompt_tokens(tokenizer: Any, body: dict[str, Any]) -> list[int]:
    """The prompt tokens mlx_lm.server builds for a chat request body (same message handling)."""
    from mlx_lm.server import process_message_content

    messages = json.loads(json.dumps(body["messages"]))
    process_message_content(messages)
    return list(
        tokenizer.apply_chat_template(
            messages, tools=body.get("tools"), add_generation_prompt=True, tokenize=True
        )
    )


def train(
    model_dir: Path, examples: list[tuple[dict[str, Any], str]], *, max_steps: int = 600
) -> int:
    """Train until greedy decoding of every request body yields its completion; return the steps.

    Args:
        model_dir: A directory written by `build_tiny_model` (weights are replaced in place).
        examples: (request body as Punie sends it, completion text ending the turn).
        max_steps: Give up after this many steps (the test then fails on the server's answer).
    """
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.utils import save_model

    model, tokenizer = load(str(model_dir))
    eos = tokenizer.eos_token_id
    sequences = []
    for body, completion in examples:
        prompt = prompt_tokens(tokenizer, body)
        target = tokenizer.encode(completion, add_special_tokens=False) + [eos]
        sequences.append((prompt, target))

    def loss_fn(model: Any, inputs: Any, targets: Any, mask: Any) -> Any:
        logits = model(inputs)
        losses = nn.losses.cross_entropy(logits, targets) * mask
        return losses.sum() / mask.sum()

    step_fn = nn.value_and_grad(model, loss_fn)
    optimizer = optim.Adam(learning_rate=3e-3)
    batches = []
    for prompt, target in sequences:
        tokens = prompt + target
        inputs = mx.array([tokens[:-1]])
        targets = mx.array([tokens[1:]])
        mask = mx.array([[0.0] * (len(prompt) - 1) + [1.0] * len(target)])
        batches.append((inputs, targets, mask))

    def greedy_ok() -> bool:
        for prompt, target in sequences:
            logits = model(mx.array([prompt + target[:-1]]))
            predicted = mx.argmax(logits[0, len(prompt) - 1 :], axis=-1).tolist()
            if predicted != target:
                return False
        return True

    step = 0
    while step < max_steps:
        for inputs, targets, mask in batches:
            _, grads = step_fn(model, inputs, targets, mask)
            optimizer.update(model, grads)
            mx.eval(model.parameters(), optimizer.state)
        step += 1
        if step % 10 == 0 and greedy_ok():
            break
    assert tree_flatten(model.parameters())
    save_model(model_dir, model)
    return step
