"""Command line: ``python -m interplab_widgets demo`` traces a sentence on the embedded default model."""

from __future__ import annotations

import argparse


def demo(model_name: str, text: str) -> None:
    """Load a model, trace one text, print its top predictions and what was captured."""
    from . import load_model

    handle = load_model(model_name)
    print(handle)
    trace = handle.run(text)
    print(f"\ntext: {text!r}\ntokens ({trace.n_tokens}): {trace.tokens}")
    if handle.is_causal:
        print("\nnext-token predictions at the last layer:")
        for token, probability in trace.top_predictions(5):
            print(f"  {token!r:>14}  {probability:6.1%}")
    print("\ncaptured:")
    print(f"  residual(layer)   [{trace.n_tokens}, {handle.d_model}] for layers 0..{handle.n_layers}")
    pattern = trace.attention(0)
    print(f"  attention(layer)  {list(pattern.shape)} [heads, query, key], recomputed per layer on demand")
    if handle.is_causal:
        print(f"  logits            {list(trace.logits.shape)} [query, vocab]")
    print(f"  trace memory      {trace.nbytes() / 1e6:.1f} MB")


def demo_html(model_name: str, text: str, path: str) -> None:
    """Write a standalone page with the attention explorer and the generation tracer on ``text``."""
    from . import AttentionExplorer, GenerationTracer, load_model, save_html

    handle = load_model(model_name)
    views = [AttentionExplorer(handle, text)]
    if handle.is_causal:
        views.append(GenerationTracer(handle, text, max_new_tokens=12))
    written = save_html(path, *views, title=f"interplab_widgets demo — {handle.name}")
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB): open it in a browser, no kernel needed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="interplab-widgets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="trace a sentence and print what the model predicts")
    demo_parser.add_argument("--model", default="smollm2-135m")
    demo_parser.add_argument("--text", default="The Eiffel Tower is located in the city of")
    demo_parser.add_argument("--html", metavar="PATH", help="write the views as a standalone HTML page instead")
    args = parser.parse_args(argv)
    if args.command == "demo" and args.html:
        demo_html(args.model, args.text, args.html)
    elif args.command == "demo":
        demo(args.model, args.text)


if __name__ == "__main__":
    main()
