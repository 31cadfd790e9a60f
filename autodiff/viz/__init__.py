"""autodiff.viz: pictures of recorded computations through Graphviz.

    g = ad.viz.graph(f, x)            # the forward graph (grads=True adds cotangents)
    ad.viz.grad_graph(f, x)           # the reverse sweep of grad(f) as a graph of its own
    ad.viz.hvp_graph(f, x, v)         # forward-over-reverse: primal and tangent flows
    ad.viz.program_graph(ad.jit(ad.grad(f)), x)   # the program ad.jit replays (optimized=False:
                                                  # as recorded, with what optimization removed)
    g.render("f.svg"); g.source; g.to_dot()    # shows inline in Jupyter

Name sub-computations with `with ad.viz.scope("layer1"):` (or as a decorator): scopes become
clusters. Large graphs are folded into summary nodes beyond `max_nodes`.
"""
from .graph import Graph, graph, grad_graph, hvp_graph, program_graph, DEFAULT_MAX_NODES
from .record import scope
from .render import dot_available, RenderTimeout

__all__ = ["Graph", "graph", "grad_graph", "hvp_graph", "program_graph", "scope",
           "dot_available", "RenderTimeout", "DEFAULT_MAX_NODES"]
