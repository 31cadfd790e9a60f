"""Progress reports for long work (dense Hessians of thousands of parameters, sparse colorings of
large patterns, stochastic estimators' probes), off by default.

    import autodiff as ad
    ad.progress.enable()                 # or AUTODIFF_PROGRESS=1 in the environment
    H = ad.hessian(f)(x)                 # a bar (tqdm, where installed) or log lines
    with ad.progress.shown(): ...        # on for one block only

Only work that is still running after `DELAY` seconds is reported, so a Newton loop of small
Hessians stays quiet. With tqdm installed a bar goes to stderr; without it, INFO lines go to the
"autodiff" logger: if logging is not configured, enable() gives that logger a stderr handler at
INFO level; if it is, your configuration decides (logging.getLogger("autodiff").setLevel("INFO")).
Whether progress is shown or not, each long loop logs what it does at DEBUG level on that logger.

For library code: wrap the loop that does the long work in `steps`:

    for probe in steps(range(num_probes), "hutchinson: probes"):
        ...
"""
import contextlib
import logging
import os
import sys
import time
from typing import Generator, Iterable, Iterator, List, Optional, TypeVar

logger = logging.getLogger("autodiff")

DELAY = 1.0  # seconds of work before a report appears
LOG_EVERY = 5.0  # seconds between log lines when tqdm is not installed

T = TypeVar("T")
_state = {"on": False}
_handlers: List[logging.Handler] = []  # the stderr handler enable() added, if it did


def enable(on: bool = True) -> None:
    """Show progress of long work from now on (on=False: stop showing it)."""
    _state["on"] = bool(on)
    if on and not logger.hasHandlers() and not _handlers:
        handler = logging.StreamHandler(sys.stderr)  # logging not configured: still be seen
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        _handlers.append(handler)


def disable() -> None:
    """Stop showing progress (the default)."""
    enable(False)


def is_enabled() -> bool:
    return _state["on"]


@contextlib.contextmanager
def shown(on: bool = True) -> Iterator[None]:
    """Progress shown (or, with on=False, hidden) inside the block, as before after it."""
    before = _state["on"]
    enable(on)
    try:
        yield
    finally:
        _state["on"] = before


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def steps(iterable: Iterable[T], what: str, total: Optional[int] = None,
          unit: str = "step") -> Generator[T, None, None]:
    """The items of `iterable`, with progress reported when it is on: `what` names the work
    ("hessian: tangent chunks"), `total` the number of items (len(iterable) by default). A
    loop that stops early closes the generator, so the report ends there."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    logger.debug("%s: %s %ss", what, "?" if total is None else total, unit)
    if not _state["on"]:
        yield from iterable
        return
    tqdm = _tqdm()
    if tqdm is not None:
        yield from tqdm(iterable, desc=what, total=total, unit=unit, delay=DELAY, leave=False)
        return
    yield from _logged(iterable, what, total, unit)


def _logged(iterable, what, total, unit):
    start = time.perf_counter()
    last = None  # time of the last line; None until the first (after DELAY)
    done = 0
    try:
        for item in iterable:
            done += 1
            yield item
            now = time.perf_counter()
            if (now - start >= DELAY) if last is None else (now - last >= LOG_EVERY):
                last = now
                logger.info("%s: %d/%s %ss, %.1f s", what, done,
                            "?" if total is None else total, unit, now - start)
    finally:  # also when the loop stops early (the caller closes the generator)
        if last is not None:
            logger.info("%s: %d %ss done in %.1f s", what, done, unit,
                        time.perf_counter() - start)


if os.environ.get("AUTODIFF_PROGRESS", "").lower() not in ("", "0", "false", "no"):
    enable()
