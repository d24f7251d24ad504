"""The command line, `python -m studio_ext.serving.transform` (arguments in the package docstring):
run() with a result file for the agent, exit status 0 or 1."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from . import TransformError, run
from . import __doc__ as overview


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m studio_ext.serving.transform", description=overview.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--tracking-uri")
    p.add_argument("--input", required=True, help="a file or a folder of files")
    p.add_argument("--output", required=True, help="folder for <stem>.out.<ext> files")
    p.add_argument("--format", choices=["csv", "jsonl", "parquet"])
    p.add_argument("--chunk-mib", type=float, default=8.0,
                   help="input read per task (at most: a small file is cut finer, so every worker gets some)")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--join", action="store_true", help="write the input columns before the prediction")
    p.add_argument("--progress-file")
    p.add_argument("--result-file", help="write {status, reason, ...} here at the end (for the agent)")
    args = p.parse_args(argv)
    # A stopped job gets SIGTERM: unwind (the pool and its part files go) instead of dying on the spot.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def finish(result: dict) -> None:
        if args.result_file:
            tmp = Path(args.result_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(result))
            os.replace(tmp, args.result_file)

    try:
        result = run(args.model_uri, args.input, args.output, fmt=args.format, chunk_bytes=int(args.chunk_mib * 2**20),
                     workers=args.workers, join=args.join, progress_file=args.progress_file,
                     tracking_uri=args.tracking_uri)
    except TransformError as exc:
        print(f"transform failed: {exc}", file=sys.stderr)
        finish({"status": "Failed", "reason": str(exc)[:2000]})
        return 1
    except Exception as exc:  # a model that cannot load, a full disk: still an honest status
        print(f"transform failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finish({"status": "Failed", "reason": f"{type(exc).__name__}: {exc}"[:2000]})
        return 1
    finish({"status": "Completed", **result})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")
    _rc = main()
    # Every output and the result file are closed by now; tearing down the interpreter (sklearn,
    # scipy, pandas, pyarrow: ~0.3 s of garbage collection) would only delay the exit that the
    # agent waits for. mypy skips it the same way (mypy/util.py: hard_exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_rc)
