"""`python -m studio_ext.serving --model-uri U --port P`: run one scoring replica."""

import os
import sys

# One BLAS thread per worker: workers are the parallelism, and a thread pool per worker on a
# small machine only adds contention (set before numpy is imported).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from .server import main  # noqa: E402

sys.exit(main())
